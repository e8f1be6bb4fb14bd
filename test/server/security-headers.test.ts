import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { createSecurityHeaders, type SecurityHeaderSettings } from "@/lib/server/security-headers";

const request = (headers: Record<string, string> = {}) => ({ headers: { ...headers } }) as unknown as IncomingMessage;

const production: SecurityHeaderSettings = {
  podspaceUrl: "https://podspace.example.com",
  dev: false,
  ideSource: "https://*.ide.podspace.example.com",
  issuers: ["https://sso.example.com/realms/corp", "https://sso.example.com/realms/other", "https://podspace.example.com/oidc"],
};

function directives(policy: unknown): Map<string, string[]> {
  return new Map(
    String(policy)
      .split("; ")
      .map((directive) => directive.split(" "))
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe("security headers", () => {
  it("lets a page reach what Podspace's pages use, and nothing else", () => {
    const csp = directives(createSecurityHeaders(production).page(request())["content-security-policy"]);
    expect(csp.get("default-src")).toEqual(["'self'"]);
    expect(csp.get("script-src")).toEqual(["'self'", expect.stringMatching(/^'nonce-.+'$/), "'strict-dynamic'"]);
    expect(csp.get("connect-src")).toEqual(["'self'", "wss://podspace.example.com"]);
    expect(csp.get("frame-src")).toEqual(["'self'", "https://*.ide.podspace.example.com"]);
    expect(csp.get("form-action")).toEqual(["'self'", "https://sso.example.com", "https://podspace.example.com"]);
    expect(csp.get("frame-ancestors")).toEqual(["'self'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
  });

  it("gives each page request its own nonce, and hands it to Next.js on the request in place of the client's", () => {
    const headers = createSecurityHeaders(production);
    const first = request({ "content-security-policy": "script-src 'nonce-chosen-by-client'", "x-nonce": "chosen-by-client" });
    const policy = headers.page(first)["content-security-policy"];
    const nonce = first.headers["x-nonce"];
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(policy).toContain(`'nonce-${nonce}'`);
    expect(first.headers["content-security-policy"]).toBe(policy);

    const second = request();
    headers.page(second);
    expect(second.headers["x-nonce"]).not.toBe(nonce);
  });

  it("allows eval for React's dev tooling only in development", () => {
    const scripts = (dev: boolean) => directives(createSecurityHeaders({ ...production, dev }).page(request())["content-security-policy"]).get("script-src");
    expect(scripts(true)).toContain("'unsafe-eval'");
    expect(scripts(false)).not.toContain("'unsafe-eval'");
  });

  it("pins https with HSTS, and only when Podspace is served over https", () => {
    const plainHttp = createSecurityHeaders({ ...production, podspaceUrl: "http://localhost:3000", ideSource: null });
    for (const policy of ["page", "identityProvider", "plain", "ide"] as const) {
      expect(createSecurityHeaders(production)[policy](request())["strict-transport-security"], policy).toBe("max-age=31536000");
      expect(plainHttp[policy](request())["strict-transport-security"], policy).toBeUndefined();
    }
    const csp = directives(plainHttp.page(request())["content-security-policy"]);
    expect(csp.get("connect-src")).toEqual(["'self'", "ws://localhost:3000"]);
    expect(csp.get("frame-src")).toEqual(["'self'"]);
  });

  it("leaves the IDE's responses their own CSP, and keeps script off the identity provider's pages", () => {
    const headers = createSecurityHeaders(production);
    expect(headers.ide(request())).toEqual({
      "x-content-type-options": "nosniff",
      "referrer-policy": "strict-origin-when-cross-origin",
      "strict-transport-security": "max-age=31536000",
    });
    const idp = directives(headers.identityProvider(request())["content-security-policy"]);
    expect(idp.get("default-src")).toEqual(["'none'"]);
    expect(idp.has("script-src")).toBe(false);
    expect(idp.get("frame-ancestors")).toEqual(["'none'"]);
  });
});
