import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { pinoHttp } from "pino-http";
import { logger } from "./logger";
import { metrics } from "./metrics";

// Every HTTP request server.ts serves gets a request id (the ingress's
// X-Request-Id when it sent a sane one), one access-log line carrying it, and
// a latency observation labelled with its route pattern. Labels must stay
// few, so the route is the page's pattern from Next.js's routes manifest
// (/workspaces/[id], not /workspaces/ckx…), never the raw path.

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Probes and static assets: counted in the latency histogram, not worth a log line each. */
const QUIET = /^\/(_next\/|api\/health$|api\/ready$|api\/metrics$|favicon\.ico$)/;
/**
 * Workspaces' own origins (lib/server/gateway.ts names them so): a 5xx there
 * is about a workspace (stopped, starting, its app not listening or failing),
 * not a fault of Podspace's, and must not page anyone who alerts on errors.
 */
const WORKSPACE_ORIGIN = /^<(ide|preview) host>/;

interface RoutePattern {
  regex: RegExp;
  route: string;
}

/**
 * The app's route patterns from the build's routes manifest (what server.ts
 * serves itself is labelled by lib/server/gateway.ts). Paths matching none
 * are labelled "other".
 */
export function createRouteLabeler(appDir: string): (pathname: string) => string {
  const patterns = manifestRoutes(appDir);
  return (pathname) => {
    if (pathname.startsWith("/_next/")) return "/_next/*";
    return patterns.find(({ regex }) => regex.test(pathname))?.route ?? "other";
  };
}

function manifestRoutes(appDir: string): RoutePattern[] {
  // `next build` writes .next/routes-manifest.json; the dev server, .next/dev/.
  for (const file of [".next/routes-manifest.json", ".next/dev/routes-manifest.json"]) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(appDir, file), "utf8")) as {
        staticRoutes?: { page: string; regex: string }[];
        dynamicRoutes?: { page: string; regex: string }[];
      };
      // Static routes first: /workspaces/new is not /workspaces/[id].
      return [...(manifest.staticRoutes ?? []), ...(manifest.dynamicRoutes ?? [])].map(({ page, regex }) => ({ regex: new RegExp(regex), route: page }));
    } catch {
      // Not built yet (or a dev server that hasn't written it): try the next.
    }
  }
  logger.warn("no Next.js routes manifest found; HTTP metrics label every page route as 'other'");
  return [];
}

/** Wraps `handler` with request ids, the access log and the latency histogram (labelled by `labelRequest`). */
export function instrumentRequests(labelRequest: (request: IncomingMessage) => string, handler: RequestListener): RequestListener {
  const routes = new WeakMap<IncomingMessage, string>();
  const accessLog = pinoHttp({
    logger,
    genReqId(request, response) {
      const incoming = request.headers["x-request-id"];
      const id = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      response.setHeader("x-request-id", id);
      return id;
    },
    autoLogging: { ignore: (request) => QUIET.test(pathOf(request)) },
    customLogLevel: (request, response, error) => accessLogLevel(routes.get(request) ?? "other", response.statusCode, error),
    // Only what identifies the request: headers carry cookies, query strings carry OIDC codes.
    serializers: {
      req: (request: { id: string; method: string; url: string }) => ({ id: request.id, method: request.method, path: request.url.split("?")[0] }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
    },
  });

  return (request: IncomingMessage, response: ServerResponse) => {
    const started = performance.now();
    // Now: handlers may rewrite request.url (the identity provider does).
    const route = labelRequest(request);
    routes.set(request, route);
    accessLog(request, response);
    // Route handlers and pages can log with the same id.
    request.headers["x-request-id"] = String(request.id);
    response.once("close", () => {
      metrics.httpDuration.observe(
        {
          route,
          method: METHODS.has(request.method ?? "") ? request.method : "OTHER",
          status: `${Math.floor(response.statusCode / 100)}xx`,
        },
        (performance.now() - started) / 1000,
      );
    });
    handler(request, response);
  };
}

/** An access-log line's level, by the request's route label and its answer. */
export function accessLogLevel(route: string, status: number, error?: Error): "error" | "warn" | "info" {
  if (error || (status >= 500 && !WORKSPACE_ORIGIN.test(route))) return "error";
  return status >= 400 ? "warn" : "info";
}

/** The request's path, without its query string. */
export function pathOf(request: IncomingMessage): string {
  return (request.url ?? "/").split("?")[0]!;
}
