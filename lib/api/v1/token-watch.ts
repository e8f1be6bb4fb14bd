import { watchAccess } from "@/lib/auth/stream-access";
import { ApiError } from "../errors";
import { stillAllowed } from "./socket-auth";

// A command that an API request runs (POST /exec, a file copy) may last an
// hour. Like the exec WebSocket's, it must not outlive its token: the token
// is checked again every few seconds while it runs, and once it is revoked
// or expired, or its owner may no longer open the workspace, the command is
// killed and the request answered 401.

export interface TokenWatch {
  /** Aborts when the client hangs up or the token stops allowing the command: the command's signal. */
  signal: AbortSignal;
  /** Stops the checks: the command is over. */
  end(): void;
  /** Throws the API's 401 when the command was killed because the token no longer allows it. */
  throwIfRevoked(): void;
}

export function watchToken(request: Request, secret: string, workspaceId: string): TokenWatch {
  const revoked = new AbortController();
  const ended = new AbortController();
  watchAccess({
    allowed: () => stillAllowed(secret, workspaceId, "exec"),
    onRevoked: () => revoked.abort(new ApiError("unauthenticated", "The token was revoked or expired, or lost this workspace, while the command ran; it was stopped.")),
    signal: AbortSignal.any([request.signal, ended.signal]),
  });
  return {
    signal: AbortSignal.any([request.signal, revoked.signal]),
    end: () => ended.abort(),
    throwIfRevoked: () => revoked.signal.throwIfAborted(),
  };
}
