import fs from "node:fs/promises";
import http from "node:http";
import { Readable } from "node:stream";
import { logger } from "@/lib/observability/logger";
import type { AiGatewayState } from "./config";
import { handleGatewayRequest, handleModelsRequest } from "./gateway";

// An HTTP server with nothing but the AI gateway's routes, at
// /v1/chat/completions, /v1/messages and /v1/models: what local workspaces reach through
// a Unix socket in their sandbox (sandbox-relay.mjs forwards a port on the
// sandbox's loopback to it). Nothing else of Podspace's answers there, so
// code in a workspace reaches the gateway and only the gateway.

const ROUTES: Record<string, { method: string; handle: (request: Request, state?: AiGatewayState) => Promise<Response> }> = {
  "/v1/chat/completions": { method: "POST", handle: (request, state) => handleGatewayRequest("openai", request, state) },
  "/v1/messages": { method: "POST", handle: (request, state) => handleGatewayRequest("anthropic", request, state) },
  "/v1/models": { method: "GET", handle: handleModelsRequest },
};

export function createGatewayServer(state?: AiGatewayState): http.Server {
  return http.createServer((incoming, outgoing) => {
    const pathname = new URL(incoming.url ?? "/", "http://gateway").pathname;
    const route = ROUTES[pathname];
    if (!route || incoming.method !== route.method) {
      outgoing.writeHead(route ? 405 : 404, { "content-type": "application/json" });
      outgoing.end(JSON.stringify({ error: { message: `Only ${Object.entries(ROUTES).map(([path, { method }]) => `${method} ${path}`).join(", ")} are served here.` } }));
      return;
    }
    void serve(route.handle, incoming, outgoing, state);
  });
}

/** Hands the request to the gateway as a Fetch API Request, whose signal aborts when the client goes away, and streams its answer back. */
async function serve(
  handle: (request: Request, state?: AiGatewayState) => Promise<Response>,
  incoming: http.IncomingMessage,
  outgoing: http.ServerResponse,
  state: AiGatewayState | undefined,
): Promise<void> {
  const gone = new AbortController();
  outgoing.once("close", () => gone.abort());
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) for (const item of [value ?? []].flat()) headers.append(name, item);
  try {
    // A streamed body needs duplex: "half", which Node's fetch takes and the DOM's RequestInit type lacks.
    const body = incoming.method === "POST" ? { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: "half" } : {};
    const init = { method: incoming.method, headers, ...body, signal: gone.signal };
    const response = await handle(new Request(new URL(incoming.url ?? "/", "http://gateway"), init as RequestInit), state);
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void outgoing.end();
    const answer = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
    outgoing.once("close", () => answer.destroy());
    answer.pipe(outgoing);
  } catch (error) {
    logger.error({ err: error }, "AI gateway server: a request failed");
    outgoing.destroy();
  }
}

/**
 * Serves the gateway on a Unix socket anyone on this host may connect to
 * (workspaces run as uids of their own): it answers only with a valid key.
 * The socket's folder is what sandboxes mount, so a socket made again after
 * a restart is the one they see.
 */
export async function listenOnSocket(server: http.Server, socketPath: string): Promise<void> {
  await fs.rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  await fs.chmod(socketPath, 0o666);
}
