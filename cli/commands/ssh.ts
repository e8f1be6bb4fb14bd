import { constants } from "node:os";
import { endedNormally, type Terminal, type TerminalEnd } from "../../lib/sdk";
import { PodspaceSocketClosedError } from "../../lib/sdk/errors";
import { argument, text, type Command } from "../command";
import { EXIT } from "../exit-codes";
import { workspaceId } from "../resolve";

// podspace ssh: the workspace's terminal (the browser's, over the API) in
// this one. With a TTY, it is put in raw mode, so every key (Ctrl-C too)
// goes to the shell, and the shell follows its size; it is restored however
// the session ends. Without one (stdin piped), what is read is typed, and
// its end is a Ctrl-D, as at a prompt.

/** Ctrl-D: at a prompt, the end of input. */
const END_OF_INPUT = "\x04";
/** Signals after which the terminal is restored before the CLI exits as they say. */
const ENDING_SIGNALS = ["SIGTERM", "SIGHUP"] as const;

export const ssh: Command = {
  name: "ssh",
  usage: "ssh <name-or-id> [--session <name>]",
  summary:
    "Open a shell in a running workspace (a token with the exec scope); --session attaches to that session again, as the browser's terminal does. Exits with the shell's code, 255 if Podspace fails",
  options: { session: { type: "string" } },
  failureExitCode: EXIT.sshFailed,
  async run(context) {
    const sdk = await context.client();
    const id = await workspaceId(sdk, argument(context, "workspace"));
    const size = process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : {};
    const terminal = await sdk.workspaces.terminal(id, { session: text(context.values, "session"), ...size });
    const end = await attachHere(terminal);
    if (!endedNormally(end)) throw new PodspaceSocketClosedError(end.code, end.reason || `the terminal closed (${end.code})`);
    process.exitCode = end.exitCode ?? 0;
  },
};

/** Connects this process's terminal (or pipes) to `terminal` until it ends, and puts it back as it was. */
async function attachHere(terminal: Terminal): Promise<TerminalEnd> {
  const { stdin, stdout } = process;
  const raw = stdin.isTTY;
  const type = (data: Buffer) => terminal.write(data);
  const typeEnd = () => terminal.write(END_OF_INPUT);
  const resize = () => terminal.resize(stdout.columns, stdout.rows);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdin.off("data", type).off("end", typeEnd).pause();
    stdout.off("resize", resize);
    try {
      if (raw) stdin.setRawMode(false);
    } catch {
      // The terminal itself is gone (SIGHUP): there is nothing left to restore.
    }
  };
  const exitOn = (signal: (typeof ENDING_SIGNALS)[number]) => () => {
    restore();
    process.exit(128 + constants.signals[signal]);
  };
  const signalHandlers = ENDING_SIGNALS.map((signal) => [signal, exitOn(signal)] as const);

  terminal.onData((data) => stdout.write(data));
  if (raw) stdin.setRawMode(true);
  // Node emits 'resize' on SIGWINCH.
  if (stdout.isTTY) stdout.on("resize", resize);
  for (const [signal, handler] of signalHandlers) process.once(signal, handler);
  stdin.on("data", type).on("end", typeEnd).resume();
  try {
    return await terminal.ended;
  } finally {
    restore();
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
  }
}
