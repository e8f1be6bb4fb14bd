import { logger } from "@/lib/observability/logger";
import type { CurrentUser } from "./current-user";
import { parseCookies, REVALIDATE_INTERVAL_MS, sessionCookieName, userForToken } from "./websocket-auth";

// Streamed responses from route handlers (the workspace page's Server-Sent
// Events, a download out of a backup) outlive the request that was allowed
// to open them. Like the
// terminal and IDE sockets (./websocket-auth.ts), they hold on to the
// session token from the request's cookie, and check again while they are
// open that it still grants access (sessionMayStill), every
// REVALIDATE_INTERVAL_MS: a user removed from the team, deactivated or
// signed out stops receiving within 5 s.

/** The session token in a Fetch API request's cookies. */
export function requestSessionToken(request: Request): string | null {
  const name = sessionCookieName();
  return parseCookies(request.headers.get("cookie") ?? undefined).find(([cookie]) => cookie === name)?.[1] || null;
}

/** The signed-in user behind the request's session cookie, with the token to recheck it by. */
export async function streamSession(request: Request): Promise<{ user: CurrentUser; token: string } | null> {
  const token = requestSessionToken(request);
  const user = token ? await userForToken(token) : null;
  return user && token ? { user, token } : null;
}

export interface AccessWatch {
  /** Answers whether access still holds, e.g. with sessionMayStill. */
  allowed: () => Promise<boolean>;
  /** Called once, the first time `allowed` answers no; the stream should end. */
  onRevoked: () => void;
  /** The stream's own end: stops the checks. */
  signal: AbortSignal;
  intervalMs?: number;
}

/**
 * Checks access every `intervalMs` for as long as the stream is open, one
 * check at a time. A check that fails (the database briefly unreachable) is
 * not a revocation: the stream stays open until the next one.
 */
export function watchAccess({ allowed, onRevoked, signal, intervalMs = REVALIDATE_INTERVAL_MS }: AccessWatch): void {
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    let stillAllowed = true;
    try {
      stillAllowed = await allowed();
    } catch (error) {
      logger.warn({ err: error }, "rechecking an open stream's access failed; checking again shortly");
    }
    if (signal.aborted) return;
    if (stillAllowed) schedule();
    else onRevoked();
  };
  const schedule = () => {
    timer = setTimeout(() => void check(), intervalMs);
  };
  signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  if (!signal.aborted) schedule();
}
