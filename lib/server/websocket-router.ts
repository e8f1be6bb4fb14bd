import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
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

/** Routes HTTP upgrades by path (and host, where a route names one) to registered handlers; everything else gets 404. */
export class WebSocketRouter {
  readonly #routes: { pattern: URLPattern; route: WebSocketRoute }[] = [];
  readonly #passThrough: { prefix: string; handler: RawUpgradeHandler }[] = [];
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  /**
   * URLPattern syntax: a pathname such as `/api/workspaces/:id/terminal`
   * (any host), or a hostname and pathname. Routes are tried in the order
   * they were added.
   */
  route(pattern: string | { hostname: string; pathname: string }, route: WebSocketRoute): this {
    this.#routes.push({ pattern: new URLPattern(typeof pattern === "string" ? { pathname: pattern } : pattern), route });
    return this;
  }

  passThrough(prefix: string, handler: RawUpgradeHandler): this {
    this.#passThrough.push({ prefix, handler });
    return this;
  }

  /** The listener for the HTTP server's 'upgrade' event. */
  readonly handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => socket.destroy());
    const pathname = new URL(request.url ?? "/", "http://localhost").pathname;

    const raw = this.#passThrough.find(({ prefix }) => pathname.startsWith(prefix));
    if (raw) {
      raw.handler(request, socket, head);
      return;
    }
    const hostname = hostnameOf(request.headers.host);
    for (const { pattern, route } of this.#routes) {
      const match = pattern.exec({ hostname, pathname });
      if (!match) continue;
      route(request, { ...match.hostname.groups, ...match.pathname.groups }).then(
        (connect) => {
          if (!connect) return refuse(socket, 404, "Not Found");
          this.#server.handleUpgrade(request, socket, head, connect);
        },
        (error: unknown) => {
          logger.error({ err: error, path: pathname }, "websocket upgrade failed");
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
