// What the podspace CLI's exit status means, for scripts that branch on it
// (the README lists them too).
export const EXIT = {
  ok: 0,
  /** The API refused or failed the request (its message is printed), or Podspace could not be reached. */
  apiError: 1,
  /** The command line was wrong: an unknown command or option, a missing argument. */
  usage: 2,
  /** No URL and token to use (run login), or the token is invalid, expired or revoked. */
  unauthenticated: 3,
  /** The workspace, token or team named doesn't exist, or is out of the token's reach. */
  notFound: 4,
  /** create --wait: the workspace was created but failed (or the wait ended) before it ran. */
  notReady: 5,
  /** exec: the command ran past its --timeout and was killed (as timeout(1) exits). */
  execTimedOut: 124,
  /** exec: any failure of podspace's own (as ssh's 255), since every other code is the command's. */
  execFailed: 255,
  /** ssh: any failure of podspace's own (as ssh's 255), since every other code is the shell's. */
  sshFailed: 255,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI itself detects, with the exit code it means. */
export class CliError extends Error {
  override name = "CliError";

  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message);
