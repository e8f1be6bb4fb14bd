import type { IncomingMessage } from "node:http";

/**
 * Whether a request is a browser navigating (a page the user opens), which
 * may be redirected to sign in, rather than a script's fetch, XHR or CORS
 * preflight, which must get a status it can handle instead. Browsers say
 * so in Sec-Fetch-Mode; for clients that don't, a GET that accepts HTML is
 * taken for one.
 */
export function isNavigation(request: IncomingMessage): boolean {
  const mode = request.headers["sec-fetch-mode"];
  if (mode !== undefined) return mode === "navigate";
  const method = request.method ?? "GET";
  return (method === "GET" || method === "HEAD") && String(request.headers.accept ?? "").includes("text/html");
}
