import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { env } from "@/lib/env";
import { logger } from "./logger";
import { metrics } from "./metrics";
import { sendPlain } from "@/lib/server/plain-response";

// GET /api/metrics, Prometheus's text format. Metrics name teams' usage and
// the deployment's shape, so they are not public: the endpoint answers only
// with `Authorization: Bearer $PODSPACE_METRICS_TOKEN`, and is off (404, as
// for any unknown path) while that variable is unset.

export const METRICS_PATH = "/api/metrics";

/** Serves a request to METRICS_PATH. */
export function serveMetrics(request: IncomingMessage, response: ServerResponse): void {
  const token = env.PODSPACE_METRICS_TOKEN;
  if (!token) {
    sendPlain(response, 404, "Not found.");
  } else if (!bearerMatches(request.headers.authorization, token)) {
    response.setHeader("www-authenticate", 'Bearer realm="podspace metrics"');
    sendPlain(response, 401, "Send Authorization: Bearer <PODSPACE_METRICS_TOKEN>.");
  } else if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    sendPlain(response, 405, "Method not allowed.");
  } else {
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" }).end(body),
      (error: unknown) => {
        logger.error({ err: error }, "collecting metrics failed");
        sendPlain(response, 500, "Collecting metrics failed; see the server log.");
      },
    );
  }
}

/** Constant-time comparison (of digests, so lengths don't leak either). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!match) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}
