import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { podspaceOrigin } from "@/lib/auth/websocket-auth";
import { logger } from "@/lib/observability/logger";

/**
 * Decides whether an upgrade request is accepted. It returns the function
 * that takes over the open socket, or null to refuse with 404 before any
 * WebSocket is opened (so a client cannot tell "no access" from "no such
 * resource").
 */
export type WebSocketRoute = (
  request: IncomingMessage,
  params: Record<string, string | undefined>,
) => Promise<((socket: WebSocket) => void) | null>;

/** Takes an upgrade as-is, such as Next.js's dev-server HMR socket. */
export type RawUpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => unknown;

/**
 * The Origin a handshake must come from: the origin it returns (null: none
 * will do), or "any" for a route that checks its callers otherwise. Browsers
 * send cookies with cross-site WebSocket handshakes and no CORS applies, so
 * without this any site could open a cookie-authenticated socket as its
 * visitor.
 */
export type OriginRule = "any" | ((request: IncomingMessage) => string | null);

/** URLPattern syntax: a pathname such as `/api/workspaces/:id/terminal` (any host), or a hostname and pathname. */
export type RoutePattern = string | { hostname: string; pathname: string };

export interface RouteOptions {
  /** Default: Podspace's own pages (PODSPACE_URL's origin). */
  origin?: OriginRule;
}

/** The request's host name and path, as URLPatterns match them; null for a request no pattern can match. */
export function matchRequest(pattern: URLPattern, request: IncomingMessage): Record<string, string | undefined> | null {
  const match = pattern.exec({ hostname: hostnameOf(request.headers.host), pathname: pathnameOf(request) });
  return match && { ...match.hostname.groups, ...match.pathname.groups };
}

export const compilePattern = (pattern: RoutePattern) => new URLPattern(typeof pattern === "string" ? { pathname: pattern } : pattern);

interface Entry {
  pattern: URLPattern;
  origin: OriginRule;
  accept: { route: WebSocketRoute } | { raw: RawUpgradeHandler };
}

/** Routes HTTP upgrades by path (and host, where a route names one) to registered handlers, in the order they were added; everything else gets 404. */
export class WebSocketRouter {
  readonly #routes: Entry[] = [];
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  route(pattern: RoutePattern, route: WebSocketRoute, options: RouteOptions = {}): this {
    this.#routes.push({ pattern: compilePattern(pattern), origin: options.origin ?? podspaceOrigin, accept: { route } });
    return this;
  }

  passThrough(pattern: RoutePattern, handler: RawUpgradeHandler, options: RouteOptions = {}): this {
    this.#routes.push({ pattern: compilePattern(pattern), origin: options.origin ?? podspaceOrigin, accept: { raw: handler } });
    return this;
  }

  /** The listener for the HTTP server's 'upgrade' event. */
  readonly handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => socket.destroy());
    for (const { pattern, origin, accept } of this.#routes) {
      const params = matchRequest(pattern, request);
      if (!params) continue;
      if (!originAllowed(origin, request)) return refuse(socket, 403, "Forbidden");
      if ("raw" in accept) {
        accept.raw(request, socket, head);
        return;
      }
      accept.route(request, params).then(
        (connect) => {
          if (!connect) return refuse(socket, 404, "Not Found");
          this.#server.handleUpgrade(request, socket, head, connect);
        },
        (error: unknown) => {
          logger.error({ err: error, path: pathnameOf(request) }, "websocket upgrade failed");
          refuse(socket, 500, "Internal Server Error");
        },
      );
      return;
    }
    refuse(socket, 404, "Not Found");
  };

  /** Open WebSockets accepted through routes. */
  get clients(): ReadonlySet<WebSocket> {
    return this.#server.clients;
  }

  /** Closes every open WebSocket with `code`; 1001 means "going away". */
  closeAll(code = 1001, reason = "server shutting down"): void {
    for (const client of this.#server.clients) client.close(code, reason);
  }

  /** Drops sockets whose peers did not finish the closing handshake. */
  terminateAll(): void {
    for (const client of this.#server.clients) client.terminate();
  }
}

function originAllowed(rule: OriginRule, request: IncomingMessage): boolean {
  if (rule === "any") return true;
  const expected = rule(request);
  return expected !== null && request.headers.origin === expected;
}

function pathnameOf(request: IncomingMessage): string {
  return new URL(request.url ?? "/", "http://localhost").pathname;
}

/** The Host header's name without its port; "invalid" when it is missing or malformed. */
function hostnameOf(host: string | undefined): string {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return "invalid";
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
