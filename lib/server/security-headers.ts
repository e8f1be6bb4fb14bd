import { randomBytes } from "node:crypto";
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { oidcProviders } from "@/lib/auth/settings";
import { env } from "@/lib/env";
import type { IdeHost } from "@/lib/ide/ide-host";

// The security headers of Podspace's responses, one policy per kind of
// response; lib/server/gateway.ts says which route gets which. Each is set
// before the route's handler runs, so a handler that knows better (the IDE
// handoff page's own CSP, say) overrides it for its response.

/** A route's response headers for one request (a page's CSP carries a fresh nonce each time). */
export type HeaderPolicy = (request: IncomingMessage) => OutgoingHttpHeaders;

export interface SecurityHeaderSettings {
  /** PODSPACE_URL: the origin pages, their WebSockets and the bundled IdP are on. */
  podspaceUrl: string;
  /** The development server: React's dev tooling needs eval. */
  dev: boolean;
  /** The wildcard-host IDE origins (PODSPACE_IDE_HOST) as a CSP source, if that mode is on. */
  ideSource: string | null;
  /** The OIDC issuers sign-in may leave for. */
  issuers: string[];
}

export interface SecurityHeaders {
  /** Next.js's pages and route handlers: a CSP with a per-request nonce. */
  page: HeaderPolicy;
  /** The bundled identity provider's pages: forms and styles, no script. */
  identityProvider: HeaderPolicy;
  /** Podspace's own non-HTML answers (metrics): nothing to run, nothing to frame. */
  plain: HeaderPolicy;
  /** The IDE proxy: the IDE's own policy stands (code-server needs its own CSP); the proxy limits framing (lib/ide/headers.ts). */
  ide: HeaderPolicy;
  /** Preview URLs: an app's own policy stands, on an origin of its own; the proxy limits framing to that origin. */
  port: HeaderPolicy;
}

export function createSecurityHeaders(settings: SecurityHeaderSettings): SecurityHeaders {
  const podspace = new URL(settings.podspaceUrl);
  const https = podspace.protocol === "https:";
  const common: OutgoingHttpHeaders = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    // Not includeSubDomains: Podspace's domain's neighbours aren't its to pin.
    ...(https ? { "strict-transport-security": "max-age=31536000" } : {}),
  };
  // CSP Level 3 lets 'self' cover same-origin WebSockets; older Safari needs them named.
  const webSockets = `${https ? "wss" : "ws"}://${podspace.host}`;
  const issuerOrigins = [...new Set(settings.issuers.map((issuer) => new URL(issuer).origin))];

  return {
    page(request) {
      const nonce = randomBytes(16).toString("base64");
      const policy = serialize({
        "default-src": ["'self'"],
        // Next.js puts the nonce on its scripts, which load the rest ('strict-dynamic').
        "script-src": ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(settings.dev ? ["'unsafe-eval'"] : [])],
        // Not a nonce: pages render style attributes (bars, panes, Recharts), and
        // Radix's scroll lock inserts a <style> element without one. Styles can't run code.
        "style-src": ["'self'", "'unsafe-inline'"],
        // Template icons are image URLs anywhere an admin chose.
        "img-src": ["'self'", "data:", "blob:", "https:", "http:"],
        "font-src": ["'self'", "data:"],
        // The terminal's WebSocket, and development's HMR socket.
        "connect-src": ["'self'", webSockets],
        // The IDE: /w/<id>/ide/ on this origin, or each workspace's own origin.
        "frame-src": ["'self'", ...(settings.ideSource ? [settings.ideSource] : [])],
        // Sign-in leaves for the identity providers (the bundled one is on this origin).
        "form-action": ["'self'", ...issuerOrigins],
        "frame-ancestors": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
      });
      // As in Next.js's proxy.ts recipe: the request carries the policy too,
      // where Next.js finds the nonce for its own scripts, and x-nonce for the
      // root layout's (next-themes). Whatever the client sent is replaced.
      request.headers["content-security-policy"] = policy;
      request.headers["x-nonce"] = nonce;
      return { ...common, "content-security-policy": policy };
    },
    identityProvider: () => ({
      ...common,
      "content-security-policy": serialize({
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        // The account form posts here, then redirects to Podspace's OIDC callback.
        "form-action": ["'self'", podspace.origin],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
      }),
    }),
    plain: () => ({ ...common, "content-security-policy": "default-src 'none'; frame-ancestors 'none'" }),
    ide: () => common,
    port: () => common,
  };
}

/** The settings from the environment (PODSPACE_URL, NODE_ENV, the OIDC providers), for IDEs on `host` in the wildcard-host mode. */
export function securityHeaderSettings(host: IdeHost | null): SecurityHeaderSettings {
  return {
    podspaceUrl: env.PODSPACE_URL,
    dev: env.NODE_ENV !== "production",
    // A CSP host source with a wildcard: every workspace's IDE origin at once.
    ideSource: host && host.originOf("*"),
    issuers: oidcProviders().map((provider) => provider.issuer),
  };
}

function serialize(directives: Record<string, string[]>): string {
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(" ")}`)
    .join("; ");
}
