import type { ApiErrorCode, ReadinessOutcome } from "./types";

/** An error answer of the API: its stable code, the message the pages show, the field it concerns and the HTTP status. */
export class PodspaceApiError extends Error {
  override name = "PodspaceApiError";

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
    /** Per-field messages, for a form's worth of invalid input. */
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
  }
}

/** A workspace that was created but did not become ready while the SDK waited: it failed, was deleted, or the wait ran out. */
export class WorkspaceNotReadyError extends Error {
  override name = "WorkspaceNotReadyError";

  constructor(
    /** Unknown when the stream ended before naming it (a timeout, an error while following it). */
    readonly workspaceId: string | undefined,
    readonly outcome: Exclude<ReadinessOutcome, { type: "ready" }>,
  ) {
    super(outcome.type === "failed" && outcome.reason ? `${outcome.message} (${outcome.reason})` : outcome.message);
  }
}

/** One of the API's WebSockets (a terminal, a forwarded port) closed by the server for a reason, e.g. 4401 when the token was revoked. */
export class PodspaceSocketClosedError extends Error {
  override name = "PodspaceSocketClosedError";

  constructor(
    /** The close code (lib/terminal/protocol.ts's CLOSE for a terminal). */
    readonly code: number,
    /** The server's reason. */
    message: string,
  ) {
    super(message);
  }
}
