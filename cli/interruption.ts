import { constants } from "node:os";

// Ctrl-C (SIGINT) and SIGTERM end what a long-running command is doing
// through an AbortSignal, so that it can close what it opened (a socket
// whose close kills a command in the workspace) rather than die mid-way.

export interface Interruption {
  signal: AbortSignal;
  /** The shell's exit code for the signal that came (128 + its number), once one has. */
  exitCode(): number | undefined;
}

export function interruption(): Interruption {
  const stop = new AbortController();
  let received: NodeJS.Signals | undefined;
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.on(name, () => {
      received ??= name;
      stop.abort(new Error(`Interrupted by ${name}.`));
    });
  }
  return { signal: stop.signal, exitCode: () => (received === undefined ? undefined : 128 + constants.signals[received]) };
}
