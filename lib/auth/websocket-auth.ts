import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { can } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { connectResource, granteesInForce } from "@/lib/workspaces/access-grants";
import { runtimeSpecInclude, type WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import { podspaceAdapter } from "./adapter";
import { loadCurrentUser, type CurrentUser } from "./current-user";

// Authentication for what server.ts serves outside Next.js: the terminal
// WebSocket and the IDE reverse proxy. Same rules as pages: the Auth.js
// database session from its httpOnly cookie (never a token in the URL), the
// user loaded fresh, permission from lib/authz.ts, and "no access" answered
// like "no such workspace". WebSockets also need a same-origin Origin header
// (browsers send cookies with cross-site WebSocket handshakes): each route
// declares the origin it takes, and lib/server/websocket-router.ts checks it.

/** Close code for a socket whose session ended (or, for the API, whose token was revoked). */
export const CLOSE_SIGNED_OUT = 4401;
/** Close code for a socket whose user is still signed in but may no longer use the workspace. */
export const CLOSE_ACCESS_LOST = 4403;

/** Why an open socket was cut off, as its close code and reason. */
export interface Revocation {
  code: number;
  reason: string;
}

export const SIGNED_OUT: Revocation = { code: CLOSE_SIGNED_OUT, reason: "signed out" };
/** Removed from the team, a role taken away, an access grant ended. */
export const ACCESS_LOST: Revocation = { code: CLOSE_ACCESS_LOST, reason: "no longer has access to this workspace" };
/**
 * How often an open socket or stream checks its session and permission
 * again: a user who loses access is cut off within 5 s.
 */
export const REVALIDATE_INTERVAL_MS = 4_000;

const AUTHJS_COOKIE = /^(__Secure-|__Host-)?authjs\./;

/** True for Auth.js's cookies (session, CSRF, callback, PKCE, …), which must never reach a workspace. */
export function isPodspaceCookie(name: string): boolean {
  return AUTHJS_COOKIE.test(name);
}

/** The session cookie's name: Auth.js prefixes it with __Secure- when Podspace is served over https. */
export function sessionCookieName(): string {
  return new URL(env.PODSPACE_URL).protocol === "https:" ? "__Secure-authjs.session-token" : "authjs.session-token";
}

/** The Cookie header as name/value pairs, in order; values stay raw (Auth.js tokens need no decoding). */
export function parseCookies(header: string | undefined): [string, string][] {
  if (!header) return [];
  return header
    .split(";")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part): [string, string] => {
      const equals = part.indexOf("=");
      return equals === -1 ? ["", part] : [part.slice(0, equals).trim(), part.slice(equals + 1).trim()];
    });
}

export function sessionToken(request: IncomingMessage): string | null {
  const name = sessionCookieName();
  const found = parseCookies(request.headers.cookie).find(([cookie]) => cookie === name);
  return found?.[1] || null;
}

/** The origin browsers send from Podspace's own pages. */
export function podspaceOrigin(): string {
  return new URL(env.PODSPACE_URL).origin;
}

export interface LiveSession {
  user: CurrentUser;
  expires: Date;
}

/** The session behind a token: it must exist and be unexpired, its user active. */
export async function sessionForToken(token: string): Promise<LiveSession | null> {
  // The adapter is Auth.js's own reader: it also ends a deactivated user's sessions.
  const found = await podspaceAdapter().getSessionAndUser!(token);
  if (!found || found.session.expires.getTime() <= Date.now()) return null;
  const user = await loadCurrentUser(found.user.id);
  return user && { user, expires: found.session.expires };
}

/** The user behind a session token (see sessionForToken). */
export async function userForToken(token: string): Promise<CurrentUser | null> {
  return (await sessionForToken(token))?.user ?? null;
}

type SessionAction = "workspace:view" | "workspace:connect";

/**
 * Why the session behind `token` may no longer view (or connect to) the
 * workspace: it is not live any more (SIGNED_OUT), or its user lost access
 * (ACCESS_LOST); null while it may. Only the user's access: what happens to
 * the workspace itself (stopped, deleted) is for each stream to report in
 * its own way. Reads only what the decision needs: open sockets and streams
 * ask every few seconds.
 */
export async function sessionRevocation(token: string, action: SessionAction, workspaceId: string): Promise<Revocation | null> {
  const user = await userForToken(token);
  if (!user) return SIGNED_OUT;
  const workspace = await getDb().workspace.findUnique({
    where: { id: workspaceId },
    select: { teamId: true, ownerId: true, accessGrants: granteesInForce() },
  });
  if (!workspace) return ACCESS_LOST;
  const allowed = action === "workspace:connect" ? can(user, action, connectResource(workspace)) : can(user, action, workspace);
  return allowed ? null : ACCESS_LOST;
}

/** Whether the session behind `token` is still live and its user may still view (or connect to) the workspace (see sessionRevocation). */
export async function sessionMayStill(token: string, action: SessionAction, workspaceId: string): Promise<boolean> {
  return (await sessionRevocation(token, action, workspaceId)) === null;
}

/** The workspace if `user` may open its terminal and IDE, with the grants that let others in; null when it doesn't exist, is deleted or is out of reach. */
export async function connectableWorkspace(user: CurrentUser, workspaceId: string): Promise<(WorkspaceForRuntime & { accessGrants: { userId: string }[] }) | null> {
  const workspace = await getDb().workspace.findUnique({ where: { id: workspaceId }, include: { ...runtimeSpecInclude, accessGrants: granteesInForce() } });
  if (!workspace || workspace.state === "DELETED" || workspace.deletedAt) return null;
  return can(user, "workspace:connect", connectResource(workspace)) ? workspace : null;
}

export type UpgradeDecision =
  | { ok: true; user: CurrentUser; token: string; workspace: WorkspaceForRuntime }
  | { ok: false; status: 401 | 404 };

/**
 * The checks for a WebSocket handshake to a workspace, in order: no valid
 * session is 401, and no access 404 (as for a workspace that doesn't
 * exist). The session comes from Podspace's cookie by default; a
 * workspace's own IDE origin passes the token behind its IDE cookie. The
 * handshake's Origin was checked before, by the route's origin rule
 * (lib/server/gateway.ts).
 */
export async function authorizeUpgrade(request: IncomingMessage, workspaceId: string | undefined, token = sessionToken(request)): Promise<UpgradeDecision> {
  const user = token ? await userForToken(token) : null;
  if (!token || !user) return { ok: false, status: 401 };
  const workspace = workspaceId ? await connectableWorkspace(user, workspaceId) : null;
  if (!workspace) return { ok: false, status: 404 };
  return { ok: true, user, token, workspace };
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  429: "Too Many Requests",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/**
 * Answers an upgrade request with a plain HTTP status (or, for the API, its
 * JSON error) before any WebSocket is opened. A WebSocketRouter route can only decline with 404 (by returning
 * null); for other statuses it writes the response to the request's socket
 * (the one the router was handed), waits until it is flushed, and destroys
 * the socket, so the router's own 404 is skipped. Resolves with null, the
 * route's "declined".
 */
export function refuseUpgrade(request: IncomingMessage, status: number, answer?: { json: string; headers: Record<string, string> }): Promise<null> {
  const socket: Duplex = request.socket;
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(null);
    const text = STATUS_TEXT[status] ?? "Error";
    const body = answer?.json ?? text;
    const headers = Object.entries({ ...answer?.headers, "Content-Type": answer ? "application/json" : "text/plain" })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => {
      socket.destroy();
      resolve(null);
    });
    // A peer that is gone never lets the write finish.
    setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, 2_000).unref();
  });
}

/**
 * Keeps an open socket honest: every `intervalMs` the session is looked up
 * again and the workspace's permission rechecked, whether or not the socket
 * sends anything (someone watching a build scroll by sends nothing, yet
 * receives). An incoming message that finds a check due waits for it, and
 * messages wait while a check runs, so none gets through once the session
 * is gone. Once access is lost the socket is closed with the code and
 * reason the check gave (SIGNED_OUT, ACCESS_LOST, a revoked token's).
 */
export class SessionRevalidator {
  #checkedAt = Date.now();
  #chain: Promise<boolean> = Promise.resolve(true);
  /** Checks and messages in #chain that haven't run yet. */
  #queued = 0;
  #revoked = false;
  #next: NodeJS.Timeout | undefined;

  /** `revocation` answers why the socket's user may no longer use it, null while they may (for a terminal or the IDE, sessionRevocation's workspace:connect). */
  constructor(
    private readonly socket: Pick<WebSocket, "close" | "once">,
    private readonly revocation: () => Promise<Revocation | null>,
    private readonly intervalMs = REVALIDATE_INTERVAL_MS,
  ) {
    this.#scheduleCheck();
    socket.once("close", () => clearTimeout(this.#next));
  }

  get revoked(): boolean {
    return this.#revoked;
  }

  /** Runs `handle` once the session is known to be valid (now, or after a due check). */
  gate(handle: () => void): void {
    if (this.#revoked) return;
    if (Date.now() - this.#checkedAt >= this.intervalMs) this.#check();
    // Nothing queued (no check running, no message waiting for one): at once, without a turn through the queue.
    if (this.#queued === 0) return handle();
    this.#queued++;
    this.#chain = this.#chain.then((allowed) => {
      this.#queued--;
      if (allowed && !this.#revoked) handle();
      return allowed;
    });
  }

  /** Queues a check now; the next one is due `intervalMs` from now, message or not. */
  #check(): void {
    this.#checkedAt = Date.now();
    this.#scheduleCheck();
    this.#queued++;
    this.#chain = this.#chain.then(() => this.#stillAllowed()).finally(() => this.#queued--);
  }

  #scheduleCheck(): void {
    clearTimeout(this.#next);
    this.#next = setTimeout(() => this.#check(), this.intervalMs).unref();
  }

  async #stillAllowed(): Promise<boolean> {
    if (this.#revoked) return false;
    let revocation: Revocation | null;
    try {
      revocation = await this.revocation();
    } catch (error) {
      // The database being briefly unreachable is not a sign-out; check again next time.
      console.error("podspace: rechecking a socket's session failed", error);
      this.#checkedAt = 0;
      return true;
    }
    if (revocation) {
      this.#revoked = true;
      clearTimeout(this.#next);
      this.socket.close(revocation.code, revocation.reason);
    }
    return !revocation;
  }
}
