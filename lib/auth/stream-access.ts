import type { CurrentUser } from "./current-user";
import { parseCookies, sessionCookieName, userForToken } from "./websocket-auth";

// Streamed responses from route handlers (the workspace page's Server-Sent
// Events) outlive the request that was allowed to open them. Like the
// terminal and IDE sockets (./websocket-auth.ts), they hold on to the
// session token from the request's cookie, so the session can be looked up
// again while they are open.

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
