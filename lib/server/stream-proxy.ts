import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import type { PortTarget } from "@/lib/runtime/types";
import { metrics } from "@/lib/observability/metrics";
import type { RelayOptions } from "./websocket-relay";

// The streaming half of the reverse proxies into workspaces (the IDE's,
// lib/ide/proxy.ts, and preview URLs', lib/ports/port-proxy.ts): one HTTP
// exchange or one WebSocket handshake over a fresh stream from the runtime
// (PortTarget). Who may get through, and which headers pass, is theirs.

export type ProxyChannel = RelayOptions["channel"];

export interface ForwardOptions {
  target: PortTarget;
  /** Connections to `target` kept alive between requests (a StreamAgent of it); default a fresh one per request. */
  agent?: http.Agent;
  /** Path and query on the workspace's side. */
  path: string;
  headers: OutgoingHttpHeaders;
  /** The response headers the browser gets, from the workspace's. */
  responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders;
  channel: ProxyChannel;
  /** Answers when the workspace couldn't be reached, before anything was sent. */
  onUnreachable(error: Error): void;
  /**
   * Whether the requester may still have what streams back, asked every
   * `intervalMs` while it does (an event stream, a long download): the
   * response is cut as soon as they may not, as a socket is.
   */
  revalidate: { stillAllowed(): Promise<boolean>; intervalMs: number };
}

/** Forwards one HTTP request, streaming both bodies as they come: event streams and long polls must not wait for a buffer to fill. */
export function forwardHttp(request: IncomingMessage, response: ServerResponse, options: ForwardOptions): void {
  const { channel } = options;
  const connection = options.agent ? { agent: options.agent } : { createConnection: connectVia(options.target) };
  const upstream = http.request({ method: request.method, path: options.path, headers: options.headers, ...connection });
  upstream.on("response", (reply) => {
    response.writeHead(reply.statusCode ?? 502, reply.statusMessage, options.responseHeaders(reply.headers));
    response.flushHeaders();
    reply.on("data", (chunk: Buffer) => metrics.proxyBytes.inc({ channel, direction: "downstream" }, chunk.length));
    reply.pipe(response);
    reply.on("error", () => response.destroy());
  });
  upstream.on("error", (error) => {
    if (response.headersSent) response.destroy();
    else options.onUnreachable(error);
  });
  response.on("close", () => {
    if (!response.writableFinished) upstream.destroy();
  });
  request.on("data", (chunk: Buffer) => metrics.proxyBytes.inc({ channel, direction: "upstream" }, chunk.length));
  request.pipe(upstream);
  endWhenRevoked(response, upstream, options.revalidate);
}

/** Cuts the exchange once `stillAllowed` says no (or fails); most responses end before the first check. */
function endWhenRevoked(response: ServerResponse, upstream: http.ClientRequest, { stillAllowed, intervalMs }: ForwardOptions["revalidate"]): void {
  const timer = setInterval(() => {
    void stillAllowed()
      .catch(() => false)
      .then((allowed) => {
        if (allowed) return;
        upstream.destroy();
        response.destroy();
      });
  }, intervalMs);
  response.once("close", () => clearInterval(timer));
}

/**
 * Keeps connections to one port alive between requests, as any reverse
 * proxy does upstream: opening the runtime's stream to a port (the sandbox
 * relay, a port-forward) costs more than the request. One agent per
 * workspace port, so no connection ever carries another's requests.
 */
export class StreamAgent extends http.Agent {
  constructor(private readonly target: Pick<PortTarget, "connect">) {
    super({ keepAlive: true, maxSockets: 64, maxFreeSockets: 8, timeout: 60_000 });
  }

  override createConnection(_options: unknown, callback: (error: Error | null, stream: Duplex) => void): undefined {
    return connectVia(this.target)(_options, callback);
  }
}

/** `http.request`'s createConnection over the runtime's stream to the port. */
function connectVia(target: Pick<PortTarget, "connect">) {
  return (_options: unknown, onCreate: (error: Error | null, stream: Duplex) => void) => {
    target.connect().then(
      (stream) => onCreate(null, stream),
      (error: Error) => onCreate(error, undefined as never),
    );
    return undefined;
  };
}

/**
 * Opens the workspace's side of a WebSocket first, so that a refusal
 * reaches the browser as a refusal; it is paused until the browser's side
 * is open. The error is the runtime's (nothing listening, say) when the
 * stream couldn't be opened at all.
 */
export function openUpstreamSocket(
  target: PortTarget,
  options: { path: string; request: IncomingMessage; headers: OutgoingHttpHeaders; maxPayload: number },
): Promise<WebSocket | { status: number; error?: Error }> {
  const protocols = String(options.request.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((protocol) => protocol.trim())
    .filter(Boolean);
  return new Promise((resolve) => {
    const upstream = new WebSocket(`ws://workspace.invalid${options.path}`, protocols, {
      headers: options.headers as Record<string, string>,
      createConnection: connectVia(target) as never,
      perMessageDeflate: false,
      maxPayload: options.maxPayload,
      handshakeTimeout: 15_000,
      followRedirects: false,
    });
    upstream.once("open", () => {
      upstream.pause();
      resolve(upstream);
    });
    upstream.once("unexpected-response", (upstreamRequest, response) => {
      const status = response.statusCode ?? 502;
      response.resume();
      upstreamRequest.destroy();
      resolve({ status: status >= 400 && status < 600 ? status : 502 });
    });
    upstream.once("error", (error) => resolve({ status: 502, error }));
  });
}

/**
 * What takes over the browser's socket once the router has opened it:
 * `start`, with the workspace's side already open. The browser may be gone
 * before then, and then the router never hands its socket over: the
 * workspace's side is closed instead.
 */
export function onceBrowserOpens(request: IncomingMessage, upstream: WebSocket, start: (socket: WebSocket) => void): (socket: WebSocket) => void {
  let connected = false;
  request.socket.once("close", () => {
    if (!connected) upstream.terminate();
  });
  if (request.socket.destroyed) upstream.terminate();
  return (socket) => {
    connected = true;
    start(socket);
  };
}
