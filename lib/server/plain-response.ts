import type { ServerResponse } from "node:http";

/** A short plain-text answer for what server.ts serves outside Next.js; never cached. */
export function sendPlain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }).end(`${text}\n`);
}
