import type { IncomingMessage } from "node:http";

// Every workspace origin (each IDE's, each port's) is a subdomain of one
// wildcard domain, so they are all one site, and SameSite=Lax doesn't keep a
// page on one of them from sending a visitor's cookies to another: a public
// port's page in one workspace could make its visitor's browser POST to the
// visitor's private port, or to their IDE, in another. Such a request's
// Podspace cookie must not count. Browsers say who sent a request in
// Sec-Fetch-Site; a request another page sent, other than a user opening a
// page (a GET navigation), is taken for anonymous.

/**
 * Whether a page of another origin sent this request without the user
 * navigating to it, and `trusts` doesn't vouch for that origin. False for
 * clients that don't say (not a browser: nothing to forge on its behalf).
 */
export function sentByAnotherPage(request: IncomingMessage, trusts: (origin: string) => boolean = () => false): boolean {
  const site = request.headers["sec-fetch-site"];
  if (site === undefined || site === "same-origin" || site === "none") return false;
  const method = request.method ?? "GET";
  if (request.headers["sec-fetch-mode"] === "navigate" && (method === "GET" || method === "HEAD")) return false;
  const origin = senderOrigin(request);
  return origin === null || !trusts(origin);
}

/** The origin of the page that sent the request: Origin, or for requests without one (a no-cors GET) the Referer's. */
function senderOrigin(request: IncomingMessage): string | null {
  const origin = request.headers.origin;
  if (origin && origin !== "null") return origin;
  const referer = URL.parse(request.headers.referer ?? "");
  return referer ? referer.origin : null;
}
