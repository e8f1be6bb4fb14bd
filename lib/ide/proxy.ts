import type { IncomingMessage, ServerResponse } from "node:http";
import { WebSocket } from "ws";
import {
  authorizeUpgrade,
  podspaceOrigin,
  refuseUpgrade,
  REVALIDATE_INTERVAL_MS,
  sessionToken,
  SessionRevalidator,
  sessionMayStill,
  sessionRevocation,
  type UpgradeDecision,
} from "@/lib/auth/websocket-auth";
import { createCachedAuthorization } from "@/lib/auth/cached-authorization";
import { RuntimeError, type PortTarget, type WorkspaceRuntime } from "@/lib/runtime/types";
import { createExpiringCache } from "@/lib/server/expiring-cache";
import { sentByAnotherPage } from "@/lib/server/fetch-site";
import { isNavigation } from "@/lib/server/navigation";
import { sendPlain } from "@/lib/server/plain-response";
import { forwardHttp, onceBrowserOpens, openUpstreamSocket } from "@/lib/server/stream-proxy";
import { relay } from "@/lib/server/websocket-relay";
import type { WebSocketRoute } from "@/lib/server/websocket-router";
import { recordActivity } from "@/lib/workspaces/activity";
import { toRuntimeSpec, type WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import { handleHandoffRequest, handoffUrl, ideDestination, isHandoffPath, sendHandoffPage } from "./handoff";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "./headers";
import { originCookieSessionToken } from "./ide-credentials";
import { ideHost as configuredIdeHost, type IdeHost } from "./ide-host";

// The IDE reverse proxy, HTTP and WebSocket, to the IDE inside the
// workspace. Bytes stream both ways as they come, and only the workspace's
// owner (and holders of an access grant) get through; anyone else sees 404, as for a
// workspace that doesn't exist. It serves the IDE in one of two modes:
// - wildcard host (the default, PODSPACE_IDE_HOST, see ./ide-host.ts): at
//   the root of the workspace's own origin, authorized by that origin's IDE
//   cookie, while /w/<id>/ide/… on Podspace's origin only hands the browser
//   over to it;
// - same-origin (PODSPACE_IDE_HOST=same-origin, an explicit opt-in): under
//   /w/<id>/ide/ on Podspace's origin, authorized by the session cookie, with
//   the prefix stripped (code-server uses relative URLs, so it works under
//   any prefix).

/** Largest WebSocket message relayed either way (VS Code sends whole files in one message). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const CONNECTABLE_STATES = new Set(["RUNNING", "STARTING"]);

export interface IdeProxyOptions {
  runtime: WorkspaceRuntime | (() => Promise<WorkspaceRuntime>);
  /** How long an HTTP request's authorization is reused for the next ones, and how often open sockets recheck it. */
  revalidateIntervalMs?: number;
  /** The wildcard-host mode's settings; default PODSPACE_IDE_HOST's, null for the same-origin mode. */
  ideHost?: IdeHost | null;
}

/** The IDE's handlers; lib/server/gateway.ts says where each is mounted, and who may use it. */
export interface IdeProxy {
  /** The wildcard-host mode's settings; null in the same-origin mode. */
  host: IdeHost | null;
  /** HTTP under /w/<id>/ide on Podspace's origin: the IDE, or in the wildcard-host mode the handoff to its own origin. */
  servePath(request: IncomingMessage, response: ServerResponse, params: Record<string, string | undefined>): void;
  /** HTTP on a workspace's own IDE origin (wildcard-host mode): the IDE at the root, and the handoff's landing paths. */
  serveHost(request: IncomingMessage, response: ServerResponse): void;
  /** WebSockets under /w/<id>/ide/ (same-origin mode). */
  pathSocket: WebSocketRoute;
  /** WebSockets on a workspace's own IDE origin (wildcard-host mode). */
  hostSocket: WebSocketRoute;
}

/** Where and how one request reaches a workspace's IDE. */
interface Mount {
  workspaceId: string;
  /** The path the IDE is served under: /w/<id>/ide, or "" at the root of its own origin. */
  prefix: string;
  /** The session token the request carries (its cookie's), if any. */
  token: string | null;
  /** Where a browser without a valid session goes to get one, for a request of `target`. */
  signInLocation(target: URL): string;
  /** The CSP frame-ancestors value for the IDE's pages. */
  frameAncestors: string;
}

export const idePrefix = (workspaceId: string) => `/w/${workspaceId}/ide`;

/**
 * The folder code-server opens when the URL names none: the workspace's home,
 * /home/coder in a pod and in a local workspace's sandbox alike.
 */
const IDE_FOLDER = "/home/coder";

export function createIdeProxy(options: IdeProxyOptions): IdeProxy {
  const host = options.ideHost === undefined ? configuredIdeHost() : options.ideHost;
  const runtime = typeof options.runtime === "function" ? options.runtime : () => Promise.resolve(options.runtime as WorkspaceRuntime);
  const intervalMs = options.revalidateIntervalMs ?? REVALIDATE_INTERVAL_MS;
  const authorize = createCachedAuthorization(intervalMs);

  /**
   * Where each workspace's IDE is, for the same period: resolving it may read
   * the runtime's state. Expired entries are dropped once there are many, so
   * it does not keep one for every workspace whose IDE was ever opened.
   */
  const targetFor = createExpiringCache<WorkspaceForRuntime, PortTarget>({
    ttlMs: intervalMs,
    keyOf: (workspace) => workspace.id,
    load: async (workspace) => (await runtime()).ideTarget(toRuntimeSpec(workspace)),
  });

  /** The user and workspace behind a request to `mount`; null once the response has said why not. */
  async function admit(request: IncomingMessage, response: ServerResponse, mount: Mount, target: URL) {
    const { user, workspace } = mount.token ? await authorize(mount.token, mount.workspaceId) : { user: null, workspace: null };
    if (!user) {
      if (isNavigation(request)) {
        response.writeHead(303, { location: mount.signInLocation(target), "cache-control": "no-store" }).end();
      } else {
        sendPlain(response, 401, "Sign in to Podspace first.");
      }
      return null;
    }
    if (!workspace) {
      sendPlain(response, 404, "Not found.");
      return null;
    }
    if (!CONNECTABLE_STATES.has(workspace.state)) {
      notRunning(response);
      return null;
    }
    return workspace;
  }

  async function serve(request: IncomingMessage, response: ServerResponse, mount: Mount, target: URL) {
    const { workspaceId, prefix } = mount;
    const workspace = await admit(request, response, mount, target);
    if (!workspace) return;

    // Open the workspace's home when the URL names no folder.
    if (target.pathname === "/" && request.method === "GET" && !target.searchParams.has("folder") && !target.searchParams.has("workspace")) {
      const query = new URLSearchParams(target.searchParams);
      query.set("folder", IDE_FOLDER);
      response.writeHead(302, { location: `${prefix}/?${query}`, "cache-control": "no-store" }).end();
      return;
    }

    let ideTarget: PortTarget;
    try {
      ideTarget = await targetFor(workspace);
    } catch (error) {
      if (error instanceof RuntimeError && error.code === "not-running") return notRunning(response);
      throw error;
    }
    recordActivity(workspaceId);

    forwardHttp(request, response, {
      target: ideTarget,
      path: `${target.pathname}${target.search}`,
      headers: upstreamRequestHeaders(request, prefix),
      responseHeaders: (headers) => downstreamResponseHeaders(headers, prefix, mount.frameAncestors),
      channel: "ide",
      onUnreachable(error) {
        // The IDE may have moved (a restart): look it up afresh next time.
        targetFor.forget(workspace);
        console.error(`podspace: IDE of workspace ${workspaceId} (${ideTarget.describe}) unreachable:`, error.message);
        sendPlain(response, 502, "The workspace's IDE is not answering. It may still be starting; try again in a moment.");
      },
      // admit() lets only a signed-in request through.
      revalidate: { stillAllowed: () => sessionMayStill(mount.token!, "workspace:connect", workspaceId), intervalMs },
    });
  }

  /** Same-origin paths in the wildcard-host mode: a signed-in user with access is handed over to the IDE's own origin. */
  async function handOff(request: IncomingMessage, response: ServerResponse, ideHost: IdeHost, mount: Mount, target: URL) {
    if (request.method !== "GET" && request.method !== "HEAD") return sendPlain(response, 404, "Not found.");
    const workspace = await admit(request, response, mount, target);
    if (!workspace || !mount.token) return;
    await sendHandoffPage(response, { destination: ideDestination(workspace.id, ideHost.originOf(workspace.id)), sessionToken: mount.token, path: `${target.pathname}${target.search}` });
  }

  /** The same-origin mount of /w/<id>/ide…, authorized by Podspace's session cookie. */
  function pathMount(request: IncomingMessage, workspaceId: string): Mount {
    const prefix = idePrefix(workspaceId);
    return {
      workspaceId,
      prefix,
      token: sentByAnotherPage(request) ? null : sessionToken(request),
      signInLocation: (target) => `/login?callbackUrl=${encodeURIComponent(`${prefix}${target.pathname}${target.search}`)}`,
      frameAncestors: "'self'",
    };
  }

  /** The mount at the root of a workspace's own IDE origin, authorized by that origin's cookie. */
  async function hostMount(request: IncomingMessage, ideHost: IdeHost, workspaceId: string): Promise<Mount> {
    return {
      workspaceId,
      prefix: "",
      token: sentByAnotherPage(request) ? null : await originCookieSessionToken("ide", request, ideHost.originOf(workspaceId)),
      signInLocation: (target) => handoffUrl(workspaceId, `${target.pathname}${target.search}`),
      // Podspace's page frames the IDE, and the IDE frames itself (code-server's web extension host):
      // every ancestor of a frame must be allowed.
      frameAncestors: `'self' ${podspaceOrigin()}`,
    };
  }

  function run(response: ServerResponse, workspaceId: string, work: Promise<void>) {
    work.catch((error: unknown) => {
      console.error(`podspace: proxying to the IDE of workspace ${workspaceId} failed`, error);
      if (!response.headersSent) sendPlain(response, 502, "Podspace could not reach the workspace's IDE.");
      else response.destroy();
    });
  }

  const serveHost = (request: IncomingMessage, response: ServerResponse) => {
    const workspaceId = host?.workspaceIdOf(request.headers.host);
    if (!host || !workspaceId) return sendPlain(response, 404, "Not found.");
    const url = requestUrl(request);
    run(
      response,
      workspaceId,
      isHandoffPath(url.pathname)
        ? handleHandoffRequest(request, response, ideDestination(workspaceId, host.originOf(workspaceId)))
        : hostMount(request, host, workspaceId).then((mount) => serve(request, response, mount, targetOf(url, url.pathname))),
    );
  };

  const servePath = (request: IncomingMessage, response: ServerResponse, params: Record<string, string | undefined>) => {
    const workspaceId = params.id!;
    const url = requestUrl(request);
    const rest = url.pathname.slice(idePrefix(workspaceId).length);
    if (rest === "") {
      response.writeHead(308, { location: `${idePrefix(workspaceId)}/${url.search}` }).end();
      return;
    }
    if (!host && servesWorkspaceApps(rest)) return sendPlain(response, 404, APPS_REFUSED);
    const mount = pathMount(request, workspaceId);
    const target = targetOf(url, rest);
    run(response, workspaceId, host ? handOff(request, response, host, mount, target) : serve(request, response, mount, target));
  };

  /** Opens the WebSocket through to the IDE once `decision` let it in; `prefix` is stripped from the path. */
  async function connect(request: IncomingMessage, decision: UpgradeDecision, prefix: string): ReturnType<WebSocketRoute> {
    if (!decision.ok) return decision.status === 404 ? null : refuseUpgrade(request, decision.status);
    const { workspace, token } = decision;
    if (!CONNECTABLE_STATES.has(workspace.state)) return refuseUpgrade(request, 503);
    const url = requestUrl(request);
    const targetPath = `${url.pathname.slice(prefix.length) || "/"}${url.search}`;

    let ideTarget: PortTarget;
    try {
      ideTarget = await targetFor(workspace);
    } catch (error) {
      if (error instanceof RuntimeError && error.code === "not-running") return refuseUpgrade(request, 503);
      throw error;
    }
    // The IDE's handshake first, so a refusal reaches the browser as a refusal.
    const upstream = await openUpstreamSocket(ideTarget, {
      path: targetPath,
      request,
      headers: upstreamRequestHeaders(request, prefix, { websocket: true }),
      maxPayload: MAX_MESSAGE_BYTES,
    });
    if (!(upstream instanceof WebSocket)) {
      targetFor.forget(workspace);
      return refuseUpgrade(request, upstream.status);
    }
    return onceBrowserOpens(request, upstream, (socket) => {
      raiseMessageLimit(socket);
      const revalidator = new SessionRevalidator(socket, () => sessionRevocation(token, "workspace:connect", workspace.id), intervalMs);
      relay(socket, upstream, {
        channel: "ide",
        gate: (forward) => revalidator.gate(forward),
        onClientMessage: () => recordActivity(workspace.id),
      });
    });
  }

  // Unless the IDE lives on its own origin: then 404, as for no such path.
  const pathSocket: WebSocketRoute = async (request, params) => {
    const prefix = idePrefix(params.id ?? "");
    if (host || servesWorkspaceApps(requestUrl(request).pathname.slice(prefix.length))) return null;
    return connect(request, await authorizeUpgrade(request, params.id), prefix);
  };

  const hostSocket: WebSocketRoute = async (request) => {
    const workspaceId = host?.workspaceIdOf(request.headers.host);
    if (!host || !workspaceId) return null;
    return connect(request, await authorizeUpgrade(request, workspaceId, await originCookieSessionToken("ide", request, host.originOf(workspaceId))), "");
  };

  return { host, servePath, serveHost, pathSocket, hostSocket };
}

/**
 * code-server's port proxy (/proxy/<port>/, /absproxy/<port>/) serves
 * whatever a workspace's processes listen on. On Podspace's own origin that
 * would be the workspace's content scripting Podspace's pages, so the
 * same-origin mount refuses it; an IDE on its own origin keeps it.
 */
function servesWorkspaceApps(idePath: string): boolean {
  // As code-server's router could read it: Express matches paths case-insensitively, and empty segments and escapes may be undone on the way.
  let decoded: string;
  try {
    decoded = decodeURIComponent(idePath);
  } catch {
    return true;
  }
  return /^\/+(abs)?proxy(\/|$)/i.test(decoded);
}
const APPS_REFUSED = "Apps in a workspace are not served on Podspace's origin; set PODSPACE_IDE_HOST to serve the IDE on its own.";

const requestUrl = (request: IncomingMessage) => new URL(request.url ?? "/", "http://podspace.invalid");

/** Where in the IDE a request goes: `path` with the request's query. Appended, not resolved: a path starting with // must not turn into a host. */
const targetOf = (url: URL, path: string) => new URL(`http://workspace.invalid${path}${url.search}`);

/**
 * The router's WebSocket server caps incoming messages at 1 MiB, which suits
 * the terminal but not VS Code, whose file writes travel as single
 * messages. Raised for IDE sockets only. ws keeps the limit on its receiver,
 * not in a public option per socket; if that ever changes this does nothing
 * and the 1 MiB cap applies.
 */
function raiseMessageLimit(socket: WebSocket) {
  const receiver = Reflect.get(socket, "_receiver") as object | undefined;
  if (receiver && typeof Reflect.get(receiver, "_maxPayload") === "number") Reflect.set(receiver, "_maxPayload", MAX_MESSAGE_BYTES);
}

function notRunning(response: ServerResponse) {
  sendPlain(response, 503, "This workspace is not running. Start it from its page in Podspace.");
}
