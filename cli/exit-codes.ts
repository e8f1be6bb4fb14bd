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
  /** The workspace or token named doesn't exist, or is out of the token's reach. */
  notFound: 4,
  /** create --wait: the workspace was created but failed (or the wait ended) before it ran. */
  notReady: 5,
  /** ssh: any failure of Podspace's own (as ssh's 255), so that the shell's exit codes, passed on, stay the shell's. */
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
