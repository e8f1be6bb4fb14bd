import { PassThrough, Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import type WebSocket from "ws";
import { commandWithin } from "../exec-command";
import { RuntimeError, type TerminalOptions, type TerminalSession } from "../types";
import { socketErrorMessage } from "./errors";
import { CONTAINER_NAME } from "./names";
import { execClient, exitOf, type Exit } from "./pod-exec";

// A login shell in the workspace container through the apiserver's exec
// endpoint: a WebSocket carrying stdin, the TTY's output, the window size
// (channel 4, fed by client-node's TerminalSizeQueue from a "resizable"
// stdout) and, at the end, the exit status.

/** bash when the image has it, else sh; as a login shell so profile scripts run, like the local runtime's. */
export const LOGIN_SHELL = [
  "/bin/sh",
  "-c",
  "export TERM=xterm-256color; if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi",
];

/**
 * The shell's output side. client-node treats a stdout with `columns`,
 * `rows` and a "resize" event as a terminal and forwards its size changes.
 */
class TerminalOutput extends Writable {
  private readonly dataListeners: ((data: Uint8Array) => void)[] = [];
  /** Output that arrived before anyone listened: the first prompt must not be lost. */
  private pending: Buffer[] = [];

  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }

  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit("resize");
  }

  listen(listener: (data: Uint8Array) => void): void {
    this.dataListeners.push(listener);
    for (const chunk of this.pending) listener(chunk);
    this.pending = [];
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.dataListeners.length === 0) this.pending.push(chunk);
    for (const listener of this.dataListeners) listener(chunk);
    callback();
  }
}

export async function openTerminal(
  kubeConfig: KubeConfig,
  target: { namespace: string; pod: string },
  options: TerminalOptions,
  /**
   * The workspace's environment as it is now, over the pod's: a warm pool
   * member's pod was made before its user claimed it, and its user's
   * environment reaches it only this way (lib/workspaces/warm-pool).
   */
  env: Record<string, string>,
): Promise<TerminalSession> {
  const stdin = new PassThrough();
  const output = new TerminalOutput(options.cols, options.rows);
  // client-node ends it on the exit status; output after that (a server quirk) must not throw in Podspace.
  output.on("error", () => {});
  let status: Exit | undefined;
  let socket: WebSocket;
  try {
    socket = await execClient(kubeConfig, { stdin, stdout: output, stderr: output }).exec(
      target.namespace,
      target.pod,
      CONTAINER_NAME,
      commandWithin({ env }, LOGIN_SHELL),
      output,
      null, // a TTY merges stderr into stdout
      stdin,
      true,
      (result) => (status = exitOf(result)),
    );
  } catch (error) {
    throw new RuntimeError("unavailable", `Could not open a shell in the workspace: ${socketErrorMessage(error)}`, { cause: error });
  }

  const exitListeners: ((exit: Exit) => void)[] = [];
  let exit: Exit | undefined;
  socket.on("close", () => {
    exit = status ?? { code: null, reason: "The connection to the workspace was lost" };
    for (const listener of exitListeners) listener(exit);
  });
  socket.on("error", () => {}); // followed by "close", which reports it

  return {
    write: (data) => void stdin.write(typeof data === "string" ? data : Buffer.from(data)),
    resize: (cols, rows) => output.resize(cols, rows),
    onData: (listener) => output.listen(listener),
    onExit: (listener) => {
      if (exit) queueMicrotask(() => listener(exit!));
      else exitListeners.push(listener);
    },
    // Stops reading the socket: TCP then holds the apiserver, and the kubelet the shell, back.
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => socket.close(),
  };
}
