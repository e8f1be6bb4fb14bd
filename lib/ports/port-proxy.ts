import type { IncomingMessage, ServerResponse } from "node:http";
import { WebSocket } from "ws";
import { z } from "zod";
import type { CurrentUser } from "@/lib/auth/current-user";
import { refuseUpgrade, REVALIDATE_INTERVAL_MS, SessionRevalidator, SIGNED_OUT, sessionToken, userForToken } from "@/lib/auth/websocket-auth";
import { env } from "@/lib/env";
import { handleHandoffRequest, isHandoffPath, sendHandoffPage, type HandoffDestination } from "@/lib/ide/handoff";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "@/lib/ide/headers";
import { originCookieHeader, originCookieSessionToken, PORT_COOKIE_MAX_SECONDS, readOriginCookie, sealIdeCredential } from "@/lib/ide/ide-credentials";
import { metrics } from "@/lib/observability/metrics";
import { RuntimeError, type PortTarget, type WorkspaceRuntime } from "@/lib/runtime/types";
import { isNavigation } from "@/lib/server/navigation";
import { createExpiringCache } from "@/lib/server/expiring-cache";
import { sentByAnotherPage } from "@/lib/server/fetch-site";
import { forwardHttp, onceBrowserOpens, openUpstreamSocket, StreamAgent } from "@/lib/server/stream-proxy";
import { relay } from "@/lib/server/websocket-relay";
import type { WebSocketRoute } from "@/lib/server/websocket-router";
import { recordActivity } from "@/lib/workspaces/activity";
import { toRuntimeSpec, type WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import { LINK_PATH, linkInForce, redeemPortLink } from "./port-links";
import { loadPortPolicy, mayOpenPort, stillMayOpenPort, type PortPolicy } from "./port-policy";
import { sendPortPage } from "./port-pages";
import type { ShareLevel } from "./share-level";
import { portOpenPath, type PortAddress, type PreviewHost } from "./preview-host";
import { answerNotRunning, answerUnreachable, WAKE_PATH, wakeWorkspace } from "./wake";

// Preview URLs: whatever listens on a port in a workspace, served at the
// root of that port's own origin (./preview-host.ts), HTTP and WebSocket
// streamed both ways so dev servers' hot reload works through it. Who gets
// through is the port's share level's (./port-policy.ts): its owner (and
// holders of an access grant) by default; a public port needs no sign-in,
// and a signed link (./port-links.ts) lets its holder in.
// Authentication works for apps: a browser navigating without the port's
// cookie is signed in through Podspace (lib/ide/handoff.ts, as for the IDE's
// origin), while a script's request (fetch, XHR, preflight) gets a 401 it can
// read, never a redirect. Podspace's cookies, and the port's own, never
// reach the app. A stopped workspace's port offers to start it
// (./wake.ts).

/** A request let in, and what an open socket of it asks again every few seconds. */
interface Admitted {
  policy: PortPolicy;
  /** How: the port's share level, or a signed link (the metrics' label). */
  via: ShareLevel | "link";
  /** The session behind the port's cookie, if any: a public port's visitor may have one too. */
  token: string | null;
  stillAllowed(): Promise<boolean>;
}

/** Workspace ports with connections kept alive at once. */
const MAX_AGENTS = 1000;

/** Largest WebSocket message relayed either way. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const CONNECTABLE_STATES = new Set(["RUNNING", "STARTING"]);

export interface PortProxyOptions {
  runtime: WorkspaceRuntime | (() => Promise<WorkspaceRuntime>);
  /** How long an HTTP request's authorization is reused, and how often open sockets recheck it. */
  revalidateIntervalMs?: number;
  /** Where ports are served: PODSPACE_PREVIEW_HOST's (lib/ports/preview-host.ts). */
  previewHost: PreviewHost;
}

/** The preview URLs' handlers; lib/server/gateway.ts says where each is mounted. */
export interface PortProxy {
  host: PreviewHost;
  /** HTTP on a port's own origin: the app, and the handoff's landing paths. */
  serveHost(request: IncomingMessage, response: ServerResponse): void;
  /** WebSockets on a port's own origin. */
  hostSocket: WebSocketRoute;
  /** GET /w/<id>/ports/<port>/… on Podspace's origin: signs the browser in to the port's origin and sends it there. */
  serveOpen(request: IncomingMessage, response: ServerResponse, params: Record<string, string | undefined>): void;
}

const portParam = z.coerce.number().int().min(1).max(65_535);

export function createPortProxy(options: PortProxyOptions): PortProxy {
  const host = options.previewHost;
  const runtime = typeof options.runtime === "function" ? options.runtime : () => Promise.resolve(options.runtime as WorkspaceRuntime);
  const intervalMs = options.revalidateIntervalMs ?? REVALIDATE_INTERVAL_MS;
  /**
   * Who a session is and who may open a port, reused for a few seconds: an
   * app's page load is many requests. Not a workspace on its way up: its
   * pages reload until it runs, and must see it the moment it does.
   */
  const users = createExpiringCache<string, CurrentUser | null>({ ttlMs: intervalMs, load: userForToken, keep: (user) => user !== null });
  const policies = createExpiringCache<PortAddress, PortPolicy | null>({
    ttlMs: intervalMs,
    keyOf: ({ workspaceId, port }) => `${workspaceId}:${port}`,
    load: loadPortPolicy,
    keep: (policy) => policy === null || CONNECTABLE_STATES.has(policy.workspace.state),
  });

  /**
   * The request's access to the port: the policy when it may open it, else
   * why not. Nobody signed in hears the same about a port that is private
   * as about one of a workspace that isn't there.
   */
  async function admit(address: PortAddress, origin: string, request: IncomingMessage): Promise<Admitted | 401 | 404> {
    const policy = await policies(address);
    // Another workspace's page may have sent it, with the visitor's cookies: only this workspace's own ports' pages are vouched for.
    const credentials = !sentByAnotherPage(request, (sender) => host.addressOf(URL.parse(sender)?.host)?.workspaceId === address.workspaceId);
    const token = credentials ? await originCookieSessionToken("port", request, origin) : null;
    if (policy?.share === "public") return { policy, via: "public", token, stillAllowed: () => stillMayOpenPort(address, token) };
    // A signed link's holder: asked of the database every time, so that a revoked link stops at once.
    const linkId = policy && credentials && (await readOriginCookie("link", "link", request, origin));
    if (policy && linkId && (await linkInForce(linkId, address))) return { policy, via: "link", token, stillAllowed: async () => (await linkInForce(linkId, address)) !== null };
    const user = token ? await users(token) : null;
    if (!user) return 401;
    return policy && mayOpenPort(user, policy) ? { policy, via: policy.share, token, stillAllowed: () => stillMayOpenPort(address, token) } : 404;
  }

  /** Step one of a signed link, on the port's origin: its secret for a cookie naming the link, then the app. */
  async function openLink(request: IncomingMessage, response: ServerResponse, address: PortAddress, origin: string, secret: string) {
    const link = request.method === "GET" ? await redeemPortLink(secret, address) : null;
    if (!link) return sendPortPage(response, 404, "Link not valid", "This link has expired or was revoked. Ask whoever sent it for a new one.");
    const cookie = await sealIdeCredential("link", link.id, origin, link.expiresAt);
    response.writeHead(303, { location: "/", "set-cookie": originCookieHeader("link", cookie, origin, link.expiresAt), "cache-control": "no-store", "referrer-policy": "no-referrer" }).end();
  }

  function destinationOf(address: PortAddress): HandoffDestination {
    return {
      scope: "port",
      origin: host.originOf(address),
      title: `port ${address.port}`,
      startUrl: (path) => `${env.PODSPACE_URL}${portOpenPath(address, path)}`,
      admits: async (user) => {
        const policy = await loadPortPolicy(address);
        return policy !== null && mayOpenPort(user, policy);
      },
      cookieExpiry: (sessionExpires) => new Date(Math.min(sessionExpires.getTime(), Date.now() + PORT_COOKIE_MAX_SECONDS * 1000)),
    };
  }

  /** Kept-alive connections per workspace port, the least recently used dropped beyond MAX_AGENTS. */
  const agents = new Map<string, StreamAgent>();
  function agentFor(workspaceId: string, port: number, target: PortTarget): StreamAgent {
    // The target's description too: where the port is may change with a restart (another pod).
    const key = `${workspaceId}:${port}:${target.describe}`;
    const agent = agents.get(key) ?? new StreamAgent(target);
    agents.delete(key);
    agents.set(key, agent);
    if (agents.size > MAX_AGENTS) {
      const [oldest, dropped] = agents.entries().next().value!;
      agents.delete(oldest);
      dropped.destroy();
    }
    return agent;
  }

  /**
   * The runtime's way to a port, null when there is none (not running),
   * reused like the rest: finding it reads the runtime's state (a process
   * record, a pod), which would otherwise cost every request more than the
   * proxying itself.
   */
  const targets = createExpiringCache<{ workspace: WorkspaceForRuntime; port: number }, PortTarget | null>({
    ttlMs: intervalMs,
    keyOf: ({ workspace, port }) => `${workspace.id}:${port}`,
    async load({ workspace, port }) {
      try {
        return await (await runtime()).portTarget(toRuntimeSpec(workspace), port);
      } catch (error) {
        if (error instanceof RuntimeError && error.code === "not-running") return null;
        throw error;
      }
    },
    keep: (target) => target !== null,
  });
  const targetOf = (workspace: WorkspaceForRuntime, port: number) => targets({ workspace, port });

  async function serve(request: IncomingMessage, response: ServerResponse, address: PortAddress) {
    const destination = destinationOf(address);
    const url = new URL(request.url ?? "/", destination.origin);
    if (url.pathname.startsWith(LINK_PATH)) return openLink(request, response, address, destination.origin, url.pathname.slice(LINK_PATH.length));
    if (isHandoffPath(url.pathname) && url.pathname !== WAKE_PATH) return handleHandoffRequest(request, response, destination);
    const access = await admit(address, destination.origin, request);
    if (access === 401) {
      if (isNavigation(request)) {
        response.writeHead(303, { location: destination.startUrl(`${url.pathname}${url.search}`), "cache-control": "no-store" }).end();
      } else {
        response
          .writeHead(401, { "content-type": "application/json", "cache-control": "no-store" })
          .end(JSON.stringify({ error: "Sign in to Podspace to use this port: open it in the browser first." }));
      }
      return;
    }
    if (access === 404) return sendPortPage(response, 404, "Not found", "There is nothing here, or it isn't yours to see.");
    const { workspace } = access.policy;
    const user = async () => (access.token ? await users(access.token) : null);
    if (url.pathname === WAKE_PATH) return wakeWorkspace(request, response, { workspace, user: await user(), origin: destination.origin });
    const target = CONNECTABLE_STATES.has(workspace.state) ? await targetOf(workspace, address.port) : null;
    if (!target) return answerNotRunning(request, response, { workspace, port: address.port, user: await user(), path: `${url.pathname}${url.search}` });
    recordActivity(workspace.id);
    metrics.portRequests.inc({ share: access.via });
    forwardHttp(request, response, {
      target,
      agent: agentFor(workspace.id, address.port, target),
      path: `${url.pathname}${url.search}`,
      headers: upstreamRequestHeaders(request, ""),
      responseHeaders: (headers) => downstreamResponseHeaders(headers, "", "'self'"),
      channel: "port",
      onUnreachable: (error) => answerUnreachable(request, response, { workspace, port: address.port, error }),
      revalidate: { stillAllowed: access.stillAllowed, intervalMs },
    });
  }

  const serveHost = (request: IncomingMessage, response: ServerResponse) => {
    const address = host.addressOf(request.headers.host);
    if (!address) return sendPortPage(response, 404, "Not found", "There is nothing here.");
    serve(request, response, address).catch((error: unknown) => {
      console.error(`podspace: serving port ${address.port} of workspace ${address.workspaceId} failed`, error);
      // A runtime's refusal says what is wrong in the user's terms.
      const message = error instanceof RuntimeError ? error.message : "Podspace could not reach the workspace.";
      if (!response.headersSent) sendPortPage(response, 502, "Unreachable", message);
      else response.destroy();
    });
  };

  const hostSocket: WebSocketRoute = async (request) => {
    const address = host.addressOf(request.headers.host);
    if (!address) return null;
    const access = await admit(address, host.originOf(address), request);
    if (access === 404) return null;
    if (access === 401) return refuseUpgrade(request, 401);
    const { workspace } = access.policy;
    const target = CONNECTABLE_STATES.has(workspace.state) ? await targetOf(workspace, address.port) : null;
    if (!target) return refuseUpgrade(request, 503);
    const url = new URL(request.url ?? "/", "http://workspace.invalid");
    const upstream = await openUpstreamSocket(target, {
      path: `${url.pathname}${url.search}`,
      request,
      headers: upstreamRequestHeaders(request, "", { websocket: true }),
      maxPayload: MAX_MESSAGE_BYTES,
    });
    if (!(upstream instanceof WebSocket)) return refuseUpgrade(request, upstream.status);
    metrics.portRequests.inc({ share: access.via });
    return onceBrowserOpens(request, upstream, (socket) => {
      const revalidator = new SessionRevalidator(socket, async () => ((await access.stillAllowed()) ? null : SIGNED_OUT), intervalMs);
      relay(socket, upstream, { channel: "port", gate: (forward) => revalidator.gate(forward), onClientMessage: () => recordActivity(workspace.id) });
    });
  };

  async function open(request: IncomingMessage, response: ServerResponse, params: Record<string, string | undefined>) {
    const port = portParam.safeParse(params.port);
    if (!port.success || (request.method !== "GET" && request.method !== "HEAD")) return sendPortPage(response, 404, "Not found", "There is nothing here.");
    const address = { workspaceId: params.id!, port: port.data };
    const url = new URL(request.url ?? "/", env.PODSPACE_URL);
    const path = url.pathname.slice(portOpenPath(address, "").length) || "/";
    const target = `${path}${url.search}`;
    // Anyone may open a public port: straight there, signed in or not.
    if ((await loadPortPolicy(address))?.share === "public") {
      response.writeHead(303, { location: `${host.originOf(address)}${target}`, "cache-control": "no-store" }).end();
      return;
    }
    const token = sessionToken(request);
    const user = token ? await userForToken(token) : null;
    if (!token || !user) {
      response.writeHead(303, { location: `/login?callbackUrl=${encodeURIComponent(`${url.pathname}${url.search}`)}`, "cache-control": "no-store" }).end();
      return;
    }
    const destination = destinationOf(address);
    if (!(await destination.admits(user))) return sendPortPage(response, 404, "Not found", "There is nothing here, or it isn't yours to see.");
    await sendHandoffPage(response, { destination, sessionToken: token, path: target });
  }

  const serveOpen = (request: IncomingMessage, response: ServerResponse, params: Record<string, string | undefined>) => {
    open(request, response, params).catch((error: unknown) => {
      console.error("podspace: opening a port failed", error);
      if (!response.headersSent) sendPortPage(response, 500, "Error", "Podspace could not open the port.");
    });
  };

  return { host, serveHost, hostSocket, serveOpen };
}
