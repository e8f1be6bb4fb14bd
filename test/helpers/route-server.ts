import http from "node:http";
import type { AddressInfo } from "node:net";

// Serves one App Router route handler over real HTTP, the way Next.js hands
// it requests: a Fetch API Request whose signal aborts when the client goes
// away, the route's params, and the Response's body streamed back as it is
// produced, no faster than the client takes it (Next.js waits for "drain"
// too), so a slow client holds the handler's stream back. For handlers that
// read everything from the request (not from next/headers).

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

export interface RouteServer {
  base: string;
  close(): Promise<void>;
}

/** `pattern` is the route's path with its params as `:name`, e.g. /api/workspaces/:id/events. */
export async function serveRoute(pattern: string, handler: Handler): Promise<RouteServer> {
  const names: string[] = [];
  const matcher = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, name: string) => (names.push(name), "([^/]+)"))}$`);
  const server = http.createServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url ?? "/", "http://localhost");
    const match = matcher.exec(url.pathname);
    if (!match) return void outgoing.writeHead(404).end();
    const params = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1]!)]));
    const gone = new AbortController();
    outgoing.once("close", () => gone.abort());
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) for (const item of [value ?? []].flat()) headers.append(name, item);
    try {
      const response = await handler(new Request(url, { headers, signal: gone.signal }), { params: Promise.resolve(params) });
      outgoing.writeHead(response.status, Object.fromEntries(response.headers));
      const reader = response.body?.getReader();
      outgoing.once("close", () => void reader?.cancel().catch(() => {}));
      for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
        if (!outgoing.write(read.value)) await drained(outgoing);
      }
      outgoing.end();
    } catch (error) {
      console.error("route-server: the handler failed", error);
      outgoing.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves once `outgoing` takes more writes, or is gone. */
function drained(outgoing: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off("drain", done).off("close", done);
      resolve();
    };
    outgoing.on("drain", done).on("close", done);
  });
}
