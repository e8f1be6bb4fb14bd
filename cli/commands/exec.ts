import { constants } from "node:os";
import type { ExecExit } from "../../lib/sdk/types";
import { number, pairs, text, type Command } from "../command";
import { CliError, EXIT, usageError } from "../exit-codes";
import { interruption } from "../interruption";
import { workspaceId } from "../resolve";

// podspace exec <workspace> -- <command>: the command's output streamed to
// ours as it comes, our stdin to it when it isn't a terminal, and its exit
// code as ours, as ssh and kubectl exec do. Every code is then the
// command's, so podspace's own failures all exit 255 (EXIT.execFailed).

export const exec: Command = {
  name: "exec",
  usage: "exec <name-or-id> [--cwd <dir>] [--env NAME=value]… [--timeout <seconds>] -- <command> [args…]",
  summary:
    "Run a command in a running workspace, its output streamed, stdin passed on unless it is a terminal; exits with its exit code (124: --timeout, default 60 s, ran out; 255: podspace failed)",
  options: { cwd: { type: "string" }, env: { type: "string", multiple: true }, timeout: { type: "string" } },
  failureExitCode: EXIT.execFailed,
  async run({ positionals, values, client }) {
    const [workspace, ...command] = positionals;
    if (workspace === undefined) throw usageError("Name the workspace.");
    if (command.length === 0) throw usageError("Give the command after --, e.g. podspace exec api -- ls -la.");
    const sdk = await client();
    const id = await workspaceId(sdk, workspace);
    const interrupted = interruption();
    // A reader that went away (podspace exec … | head) ends the command, as SIGPIPE would end a local one.
    const readerGone = new AbortController();
    process.stdout.on("error", (error) => readerGone.abort(error));
    try {
      const result = await sdk.workspaces.exec(id, command, {
        cwd: text(values, "cwd"),
        env: pairs(values, "env"),
        timeoutSeconds: number(values, "timeout"),
        // A terminal's input is for people, and would hold the command until Ctrl-D: none is sent.
        stdin: process.stdin.isTTY ? undefined : process.stdin,
        onStdout: (data) => process.stdout.write(data),
        onStderr: (data) => process.stderr.write(data),
        signal: AbortSignal.any([interrupted.signal, readerGone.signal]),
      });
      process.exitCode = exitCodeOf(result);
    } catch (error) {
      // Closing the socket killed the command; exit as the signal would have.
      const signalled = readerGone.signal.aborted ? 128 + constants.signals.SIGPIPE : interrupted.exitCode();
      if (signalled === undefined) throw error;
      process.exitCode = signalled;
    }
  },
};

function exitCodeOf({ exitCode, timedOut }: ExecExit): number {
  if (timedOut) return EXIT.execTimedOut;
  if (exitCode === null) throw new CliError(EXIT.execFailed, "The command was killed before it exited (by a signal, or its workspace stopped).");
  return exitCode;
}
