import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpRequest } from "../test/helpers/net";
import { METRICS_TOKEN } from "./replicas";
import { DEMO, signIn } from "./sign-in";
import { usePodspaceStack } from "./stack";

// The security headers of every kind of response the production server
// gives (a page, a route handler, Next.js's 404, the bundled identity
// provider, the metrics endpoint), the page CSP's per-request nonce on
// Next.js's own scripts, pages that still hydrate under it in Chromium, and
// Podspace refusing to be framed by another origin.

/** The CSP's directives by name. */
function directives(policy: string | string[] | undefined): Map<string, string[]> {
  return new Map(
    String(policy ?? "")
      .split(";")
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!, sources]),
  );
}

const nonceOf = (policy: string | string[] | undefined) =>
  directives(policy)
    .get("script-src")
    ?.find((source) => source.startsWith("'nonce-"))
    ?.slice("'nonce-".length, -1);

/** CSP violations Chromium reports on `page`'s console. */
function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

describe("security headers", () => {
  const stack = usePodspaceStack({ PODSPACE_METRICS_TOKEN: METRICS_TOKEN });
  const get = (path: string, headers?: Record<string, string>) => httpRequest(`${stack.podspace.url}${path}`, { headers });

  it("sends nosniff, a referrer policy and a CSP that forbids foreign framing on every kind of response", async () => {
    const responses = {
      page: await get("/login"),
      routeHandler: await get("/api/health"),
      notFound: await get("/no-such-page"),
      identityProvider: await get("/oidc/.well-known/openid-configuration"),
      metrics: await get("/api/metrics"),
    };
    expect(responses.page.status).toBe(200);
    expect(responses.routeHandler.status).toBe(200);
    expect(responses.notFound.status).toBe(404);
    expect(responses.identityProvider.status).toBe(200);
    expect(responses.metrics.status).toBe(401);

    for (const [kind, response] of Object.entries(responses)) {
      expect(response.headers["x-content-type-options"], kind).toBe("nosniff");
      expect(response.headers["referrer-policy"], kind).toBe("strict-origin-when-cross-origin");
      // Plain http here: no HSTS (test/server/security-headers.test.ts covers https).
      expect(response.headers["strict-transport-security"], kind).toBeUndefined();
      expect(directives(response.headers["content-security-policy"]).get("frame-ancestors"), kind).toEqual(
        kind === "page" || kind === "routeHandler" || kind === "notFound" ? ["'self'"] : ["'none'"],
      );
    }
    // The identity provider's account page has no script at all.
    expect(directives(responses.identityProvider.headers["content-security-policy"]).get("default-src")).toEqual(["'none'"]);
  });

  it("gives each page a fresh nonce, which every script on it carries", async () => {
    const first = await get("/login");
    const second = await get("/login");
    const nonce = nonceOf(first.headers["content-security-policy"]);
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(nonceOf(second.headers["content-security-policy"])).not.toBe(nonce);
    // A nonce the client sends is not the one the page uses.
    const spoofed = await get("/login", { "content-security-policy": "script-src 'nonce-spoofed'", "x-nonce": "spoofed" });
    expect(spoofed.body).not.toContain("spoofed");

    for (const response of [first, second]) {
      const scripts = response.body.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(1);
      for (const script of scripts) expect(script).toContain(`nonce="${nonceOf(response.headers["content-security-policy"])}"`);
    }
  });

  it("hydrates pages under the policy: sign-in, the signed-in shell and the 404 page run with no violation", async () => {
    const page = await stack.browser.newPage();
    const violations = cspViolations(page);
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    expect(await page.getByRole("button", { name: "Account menu for Dana Developer" }).isVisible()).toBe(true);
    // Hydrated: the theme toggle's click handler runs.
    const wasDark = await page.evaluate(() => document.documentElement.classList.contains("dark"));
    await page.getByRole("button", { name: "Toggle theme" }).click();
    await page.waitForFunction((dark) => document.documentElement.classList.contains("dark") !== dark, wasDark);

    await page.goto(`${stack.podspace.url}/no-such-page`);
    await page.getByRole("button", { name: "Toggle theme" }).click();
    await page.waitForFunction((dark) => document.documentElement.classList.contains("dark") === dark, wasDark);
    expect(violations).toEqual([]);
    await page.close();
  });

  describe("framing", () => {
    let foreign: http.Server;
    let foreignUrl: string;

    beforeAll(async () => {
      // Another origin (another host name and port) that frames Podspace's pages.
      foreign = http.createServer((request, response) => {
        const target = new URL(request.url ?? "/", "http://foreign.invalid").searchParams.get("frame") ?? "/login";
        response.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><iframe src="${stack.podspace.url}${target}"></iframe>`);
      });
      await new Promise<void>((resolve) => foreign.listen(0, "127.0.0.1", resolve));
      foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => foreign?.close(resolve)));

    /** The text of the page's frame once it has loaded: Chromium's error page when framing was refused. */
    async function framedText(page: Page): Promise<string> {
      const frame = page.frames()[1];
      if (!frame) return "";
      await frame.waitForLoadState();
      return frame.evaluate(() => `${document.title} ${document.body?.innerText ?? ""}`).catch(() => "");
    }

    it("refuses to be framed by another origin", async () => {
      const page = await stack.browser.newPage();
      const violations = cspViolations(page);
      for (const path of ["/login", "/no-such-page", "/oidc/.well-known/openid-configuration"]) {
        await page.goto(`${foreignUrl}/?frame=${encodeURIComponent(path)}`);
        await expect.poll(() => violations.some((violation) => violation.includes("frame-ancestors")), { message: path }).toBe(true);
        expect(await framedText(page)).not.toMatch(/Podspace|Page not found|issuer/);
        violations.length = 0;
      }
      await page.close();
    });

    it("lets Podspace's own pages frame them", async () => {
      const page = await stack.browser.newPage();
      const violations = cspViolations(page);
      await page.goto(`${stack.podspace.url}/no-such-page`);
      await page.evaluate((src) => {
        const frame = document.createElement("iframe");
        frame.src = src;
        document.body.append(frame);
      }, `${stack.podspace.url}/no-such-page`);
      await expect.poll(() => framedText(page)).toMatch(/Page not found/);
      expect(violations).toEqual([]);
      await page.close();
    });
  });
});
