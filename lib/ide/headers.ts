import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { demoIdentityProviderEnabled } from "@/lib/auth/settings";
import { isPodspaceCookie, parseCookies } from "@/lib/auth/websocket-auth";
import { env } from "@/lib/env";
import { isOriginCookie } from "./ide-credentials";

// Header rules of the IDE reverse proxy, both ways: what of the browser's
// request reaches the workspace, and what of the IDE's response reaches the
// browser.

/** Headers that describe one connection (RFC 9110 §7.6.1), never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function hopByHop(headers: IncomingHttpHeaders): Set<string> {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean);
  return new Set([...HOP_BY_HOP, ...named]);
}

/** The bundled demo identity provider's cookies (oidc-provider's defaults), set on Podspace's origin when it runs. */
const DEMO_IDP_COOKIE = /^_(session|interaction|interaction_resume|state)(\.|$)/;

/** Cookies of Podspace itself: Auth.js's, the IDE's and ports' origins', and the bundled identity provider's when it is on. */
export function isOwnCookie(name: string): boolean {
  return isPodspaceCookie(name) || isOriginCookie(name) || (demoIdentityProviderEnabled() && DEMO_IDP_COOKIE.test(name));
}

/** The Cookie header without Podspace's own cookies; undefined when nothing is left. */
export function stripPodspaceCookies(header: string | undefined): string | undefined {
  const kept = parseCookies(header)
    .filter(([name]) => !isOwnCookie(name))
    .map(([name, value]) => (name ? `${name}=${value}` : value));
  return kept.length > 0 ? kept.join("; ") : undefined;
}

/**
 * The request headers for the IDE: hop-by-hop headers and Podspace's cookies
 * removed, Host kept (code-server compares it with Origin on WebSockets), and
 * X-Forwarded-* describing the browser's request.
 */
export function upstreamRequestHeaders(request: IncomingMessage, prefix: string, options: { websocket?: boolean } = {}): OutgoingHttpHeaders {
  const skip = hopByHop(request.headers);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || skip.has(name) || name.startsWith("x-forwarded-")) continue;
    // The WebSocket client to the IDE negotiates its own handshake.
    if (options.websocket && name.startsWith("sec-websocket-")) continue;
    if (name === "cookie") {
      const cookie = stripPodspaceCookies(Array.isArray(value) ? value.join("; ") : value);
      if (cookie) headers.cookie = cookie;
      continue;
    }
    headers[name] = value;
  }
  const forwardedFor = request.headers["x-forwarded-for"];
  const remote = request.socket.remoteAddress ?? "";
  headers["x-forwarded-for"] = forwardedFor ? `${String(forwardedFor)}, ${remote}` : remote;
  headers["x-forwarded-proto"] = new URL(env.PODSPACE_URL).protocol.replace(/:$/, "");
  if (request.headers.host) headers["x-forwarded-host"] = request.headers.host;
  if (prefix) headers["x-forwarded-prefix"] = prefix;
  return headers;
}

/**
 * The IDE's response headers for the browser: hop-by-hop ones removed,
 * redirects and cookies kept under the workspace's prefix, no cookie that
 * would overwrite Podspace's own, and framing allowed to `frameAncestors`
 * only ('self' on Podspace's origin; on an IDE host, that host and Podspace's origin).
 */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders, prefix: string, frameAncestors: string): OutgoingHttpHeaders {
  const skip = hopByHop(headers);
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || skip.has(name)) continue;
    if (name === "set-cookie") {
      const cookies = (Array.isArray(value) ? value : [value]).filter((cookie) => !isOwnCookie(cookie.split("=")[0]!.trim())).map((cookie) => scopeCookie(cookie, prefix));
      if (cookies.length > 0) result[name] = cookies;
      continue;
    }
    if (name === "location" && typeof value === "string") {
      result[name] = prefixLocation(value, prefix);
      continue;
    }
    result[name] = value;
  }
  // Only Podspace's own pages (and the IDE itself) may frame the IDE.
  if (!result["content-security-policy"] && !result["x-frame-options"]) result["content-security-policy"] = `frame-ancestors ${frameAncestors}`;
  return result;
}

/** A path-absolute redirect from the IDE (`/login`) stays under the workspace's prefix. */
export function prefixLocation(location: string, prefix: string): string {
  return location.startsWith("/") && !location.startsWith("//") ? `${prefix}${location}` : location;
}

/** Keeps an IDE cookie to the workspace's own path, so it never reaches Podspace's pages or other workspaces. */
export function scopeCookie(cookie: string, prefix: string): string {
  const parts = cookie.split(";");
  let scoped = false;
  const rewritten = parts.map((part, index) => {
    if (index === 0) return part;
    const match = /^\s*path\s*=\s*(.*)$/i.exec(part);
    if (!match) return part;
    scoped = true;
    const path = match[1]!.trim();
    return ` Path=${prefix}${path.startsWith("/") ? path : `/${path}`}`;
  });
  return scoped ? rewritten.join(";") : `${cookie}; Path=${prefix}/`;
}
