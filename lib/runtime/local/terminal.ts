import * as pty from "node-pty";
import type { TerminalOptions, TerminalSession } from "../types";

/** `command` (a login shell, entering the workspace's sandbox) on a pseudo-terminal, with the workspace's clean environment. */
export function spawnShell(options: TerminalOptions & { command: string[]; env: Record<string, string> }): TerminalSession {
  const [file = "", ...args] = options.command;
  const shell = pty.spawn(file, args, {
    name: "xterm-256color",
    cols: options.cols,
    rows: options.rows,
    // Where the command starts on the host; it then enters the sandbox's home.
    cwd: "/",
    env: options.env,
    // Bytes, not strings: a multi-byte character split across reads must
    // reach the browser intact.
    encoding: null,
  });
  let exited = false;
  return {
    write: (data) => shell.write(typeof data === "string" ? data : Buffer.from(data)),
    resize: (cols, rows) => {
      if (!exited) shell.resize(cols, rows);
    },
    onData: (listener) => void shell.onData((data) => listener(data as unknown as Buffer)),
    onExit: (listener) =>
      void shell.onExit(({ exitCode, signal }) => {
        exited = true;
        listener({ code: signal ? null : exitCode, reason: signal ? `killed by signal ${signal}` : undefined });
      }),
    pause: () => shell.pause(),
    resume: () => shell.resume(),
    close: () => {
      if (!exited) shell.kill("SIGHUP");
    },
  };
}
