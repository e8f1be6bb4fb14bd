import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { EXEC_SOCKET_PATH } from "@/lib/api/v1/exec-socket";
import { PORT_FORWARD_PATH } from "@/lib/api/v1/port-forward-socket";
import { API_TERMINAL_PATH } from "@/lib/api/v1/terminal-socket";
import { podspaceOrigin } from "@/lib/auth/websocket-auth";
import { env } from "@/lib/env";
import type { IdeProxy } from "@/lib/ide/proxy";
import type { PortProxy } from "@/lib/ports/port-proxy";
import { METRICS_PATH, serveMetrics } from "@/lib/observability/metrics-endpoint";
import { TERMINAL_PATH } from "@/lib/terminal/route";
import { sendPlain } from "./plain-response";
import { createSecurityHeaders, securityHeaderSettings, type HeaderPolicy } from "./security-headers";
import { compilePattern, matchRequest, WebSocketRouter, type OriginRule, type RawUpgradeHandler, type RoutePattern, type WebSocketRoute } from "./websocket-router";

// Everything the server answers, in one table: what server.ts serves itself
// (the IDE proxy, the terminal, metrics, the bundled identity provider,
// development's HMR socket) and, last, Next.js. Each route states who may
// use it, which Origin its WebSockets must come from, and the headers its
// responses carry, so this file reads as the server's access policy.

/**
 * How a route knows who is calling. The route's handler enforces it, and
 * lib/authz.ts decides what they may do; it is named here for the reader.
 */
export type Authentication =
  /** Auth.js's database session from its httpOnly cookie, as pages read it. */
  | "session cookie"
  /** The IDE origin's own cookie, bound to a session (lib/ide/ide-credentials.ts). */
  | "IDE cookie"
  /** A port's origin's own cookie, bound to a session (lib/ports/port-proxy.ts). */
  | "port cookie"
  /** Authorization: Bearer <API token> (lib/api-tokens/tokens.ts); browsers never send it on their own, so any Origin will do. */
  | "API token"
  /** Authorization: Bearer $PODSPACE_METRICS_TOKEN. */
  | "metrics token"
  /** The bundled identity provider's own sign-in, for its demo accounts. */
  | "identity provider"
  /** Next.js: each page, server action and route handler checks its own. */
  | "per page"
  /** Development's HMR socket: Next.js checks its dev origins itself. */
  | "none";

export interface GatewayRoute {
  /** Its label in the HTTP metrics; Next.js's routes are labelled from its manifest instead. */
  name?: string;
  match: RoutePattern;
  auth: Authentication;
  /** Set, before `http` runs, on every response; what the handler sets itself wins. */
  headers?: HeaderPolicy;
  http?: (request: IncomingMessage, response: ServerResponse, params: Record<string, string | undefined>) => void;
  /** Checked on WebSocket handshakes, which browsers send cross-site with cookies and CORS doesn't cover. */
  origin?: OriginRule;
  upgrade?: WebSocketRoute;
  /** An upgrade handed over untouched (Next.js's HMR). */
  rawUpgrade?: RawUpgradeHandler;
}

export interface Gateway {
  handleRequest: RequestListener;
  /** The listener for the server's 'upgrade' event is `sockets.handleUpgrade`; shutdown closes its sockets. */
  sockets: WebSocketRouter;
  /** The metrics label of the route a request goes to, if it has one. */
  nameOf(request: IncomingMessage): string | undefined;
}

/** Tries `routes` in order: a request goes to the first that matches and answers HTTP, an upgrade to the first that takes upgrades. */
export function createGateway(routes: GatewayRoute[]): Gateway {
  const http: { pattern: URLPattern; route: GatewayRoute }[] = [];
  const sockets = new WebSocketRouter();
  for (const route of routes) {
    const where = typeof route.match === "string" ? route.match : `${route.match.hostname}${route.match.pathname}`;
    if (route.http && !route.headers) throw new Error(`gateway route ${where} answers HTTP: declare its headers`);
    if ((route.upgrade || route.rawUpgrade) && !route.origin) throw new Error(`gateway route ${where} takes WebSockets: declare their origin`);
    if (route.http) http.push({ pattern: compilePattern(route.match), route });
    if (route.upgrade) sockets.route(route.match, route.upgrade, { origin: route.origin });
    if (route.rawUpgrade) sockets.passThrough(route.match, route.rawUpgrade, { origin: route.origin });
  }

  const find = (request: IncomingMessage) => {
    for (const { pattern, route } of http) {
      const params = matchRequest(pattern, request);
      if (params) return { route, params };
    }
    return null;
  };

  return {
    handleRequest(request, response) {
      const found = find(request);
      if (!found) return sendPlain(response, 404, "Not found.");
      const { route, params } = found;
      for (const [name, value] of Object.entries(route.headers!(request))) if (value !== undefined) response.setHeader(name, value);
      route.http!(request, response, params);
    },
    sockets,
    nameOf: (request) => find(request)?.route.name,
  };
}

export interface PodspaceServices {
  ide: IdeProxy;
  /** Preview URLs: apps listening in workspaces; null when they are turned off (PODSPACE_PREVIEW_HOST=off). */
  ports: PortProxy | null;
  /** The terminal WebSocket (lib/terminal/route.ts). */
  terminal: WebSocketRoute;
  /** The API's exec WebSocket (lib/api/v1/exec-socket.ts). */
  apiExec: WebSocketRoute;
  /** The terminal for API tokens (lib/api/v1/terminal-socket.ts). */
  apiTerminal: WebSocketRoute;
  /** The API's port forwarding (lib/api/v1/port-forward-socket.ts). */
  apiPortForward: WebSocketRoute;
  /** The bundled demo identity provider, when it runs. */
  identityProvider: { mountPath: string; handle: RequestListener } | null;
  /** Next.js's request handler, and in development its upgrade handler (HMR). */
  next: { handle: RequestListener; upgrade?: RawUpgradeHandler };
}

/** Podspace's route table. */
export function podspaceRoutes({ ide, ports, terminal, apiExec, apiTerminal, apiPortForward, identityProvider, next }: PodspaceServices): GatewayRoute[] {
  const { host } = ide;
  const headers = createSecurityHeaders(securityHeaderSettings(host));
  const podspacePages: OriginRule = podspaceOrigin;
  const routes: (GatewayRoute | false)[] = [
    // In the wildcard-host mode (the default) a workspace's IDE has its
    // own origin, all of it: the IDE at the root and the handoff's landing
    // paths. Its sockets come from its own pages.
    !!host && {
      name: "<ide host>/*",
      match: { hostname: `*.${host.domain}`, pathname: "*" },
      auth: "IDE cookie",
      headers: headers.ide,
      http: ide.serveHost,
      origin: (request) => {
        const workspaceId = host.workspaceIdOf(request.headers.host);
        return workspaceId && host.originOf(workspaceId);
      },
      upgrade: ide.hostSocket,
    },
    // Each port a workspace listens on has an origin of its own, all of it
    // the app's but the handoff's landing paths. Its sockets come from its
    // own pages, which is also what its dev server's hot reload uses.
    !!ports && {
      name: "<preview host>/*",
      match: { hostname: `*.${ports.host.domain}`, pathname: "*" },
      auth: "port cookie",
      headers: headers.port,
      http: ports.serveHost,
      origin: (request) => {
        const address = ports.host.addressOf(request.headers.host);
        return address && ports.host.originOf(address);
      },
      upgrade: ports.hostSocket,
    },
    // Opening a port: the handoff from Podspace's origin to the port's.
    !!ports && { name: "/w/[id]/ports/[port]/*", match: "/w/:id/ports/:port{/*}?", auth: "session cookie", headers: headers.plain, http: ports.serveOpen },
    // The IDE on Podspace's origin; in the wildcard-host mode only the handoff to its own.
    {
      name: "/w/[id]/ide/*",
      match: "/w/:id/ide{/*}?",
      auth: "session cookie",
      headers: headers.ide,
      http: ide.servePath,
      ...(host ? {} : { origin: podspacePages, upgrade: ide.pathSocket }),
    },
    { match: TERMINAL_PATH, auth: "session cookie", origin: podspacePages, upgrade: terminal },
    // Its HTTP side (POST, the same path) is Next.js's route handler.
    { match: EXEC_SOCKET_PATH, auth: "API token", origin: "any", upgrade: apiExec },
    { match: API_TERMINAL_PATH, auth: "API token", origin: "any", upgrade: apiTerminal },
    { match: PORT_FORWARD_PATH, auth: "API token", origin: "any", upgrade: apiPortForward },
    { name: METRICS_PATH, match: METRICS_PATH, auth: "metrics token", headers: headers.plain, http: serveMetrics },
    !!identityProvider && {
      name: `${identityProvider.mountPath}/*`,
      match: `${identityProvider.mountPath}/*`,
      auth: "identity provider",
      headers: headers.identityProvider,
      http: identityProvider.handle,
    },
    !!next.upgrade && { match: "/_next/*", auth: "none", origin: "any", rawUpgrade: next.upgrade },
    localhostAlias(env.PODSPACE_URL, { ...next, headers: headers.page }),
    { match: "*", auth: "per page", headers: headers.page, http: next.handle },
  ];
  return routes.filter((route) => route !== false);
}

/**
 * Podspace on a .localhost name (the embedded default, podspace.localhost,
 * whose subdomains are the IDEs' origins) is still typed as localhost:3000
 * out of habit. A browser that does is sent on to Podspace's name, where its
 * cookies are; anything else (scripts, health checks) is answered as usual.
 */
function localhostAlias(podspaceUrl: string, next: { handle: RequestListener; headers: HeaderPolicy }): GatewayRoute | false {
  if (!new URL(podspaceUrl).hostname.endsWith(".localhost")) return false;
  return {
    match: { hostname: "localhost", pathname: "*" },
    auth: "per page",
    headers: next.headers,
    http(request, response) {
      const navigation = (request.method === "GET" || request.method === "HEAD") && String(request.headers.accept ?? "").includes("text/html");
      if (!navigation) return next.handle(request, response);
      const path = request.url?.startsWith("/") ? request.url : "/";
      response.writeHead(308, { location: `${podspaceUrl}${path}`, "cache-control": "no-store" }).end();
    },
  };
}
