import { can } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { logger } from "@/lib/observability/logger";
import type { CurrentUser } from "./current-user";
import { parseCookies, sessionCookieName, userForToken } from "./websocket-auth";

// Streamed responses from route handlers (the workspace page's Server-Sent
// Events) outlive the request that was allowed to open them. Like the
// terminal and IDE sockets (./websocket-auth.ts), they hold on to the
// session token from the request's cookie, and check again while they are
// open that it still grants access: a user removed from the team,
// deactivated or signed out stops receiving within seconds.

/** How often an open stream checks its access again: a user who loses it stops receiving within 5 s. */
export const ACCESS_RECHECK_MS = 4_000;

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

/** Whether the session behind `token` is still live and its user may still see the workspace. */
export async function mayStillView(token: string, workspaceId: string): Promise<boolean> {
  const user = await userForToken(token);
  if (!user) return false;
  const workspace = await getDb().workspace.findUnique({ where: { id: workspaceId }, select: { teamId: true, ownerId: true } });
  return workspace !== null && can(user, "workspace:view", workspace);
}

export interface AccessWatch {
  /** Answers whether access still holds; see mayStillView. */
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
export function watchAccess({ allowed, onRevoked, signal, intervalMs = ACCESS_RECHECK_MS }: AccessWatch): void {
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
