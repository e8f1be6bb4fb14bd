import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { websocketOutcome } from "../test/helpers/net";
import { launchBrowser } from "./browser";
import { startPodspace, type PodspaceProcess } from "./harness";
import { DEMO, signIn } from "./sign-in";

describe("Podspace on the embedded defaults", () => {
  let podspace: PodspaceProcess;
  let browser: BrowserContext;

  beforeAll(async () => {
    [podspace, browser] = await Promise.all([startPodspace(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await podspace?.stop();
  });

  it("renders the app shell in Chromium with working navigation and theme toggle", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await signIn(page, podspace.url, { provider: DEMO, account: /Avery Admin/ });

    await expect(page.title()).resolves.toBe("Podspace");
    // Its icons and app manifest, served to anyone (a browser asks for them before signing in too).
    const linked = async (rel: string) => fetch(new URL((await page.locator(`link[rel="${rel}"]`).getAttribute("href"))!, podspace.url));
    const served = await Promise.all(["icon", "apple-touch-icon", "manifest"].map(linked));
    expect(served.map((response) => [response.status, response.headers.get("content-type")])).toEqual([
      [200, "image/svg+xml"],
      [200, "image/png"],
      [200, "application/manifest+json"],
    ]);
    const manifest = (await served[2]!.json()) as { name: string; icons: Array<{ src: string }> };
    expect(manifest.name).toBe("Podspace");
    for (const { src } of manifest.icons) expect((await fetch(new URL(src, podspace.url))).status, src).toBe(200);
    const nav = page.getByRole("navigation");
    for (const name of ["Workspaces", "Templates", "Teams", "Admin"]) {
      expect(await nav.getByRole("link", { name, exact: true }).isVisible()).toBe(true);
    }
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Workspaces");

    // Keyboard users reach the skip link first.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/skip to content/i);

    const wasDark = await page.evaluate(() => document.documentElement.classList.contains("dark"));
    await page.getByRole("button", { name: "Toggle theme" }).click();
    await page.waitForFunction((dark) => document.documentElement.classList.contains("dark") !== dark, wasDark);

    expect(errors.join("\n")).toBe("");
    await page.close();
  });

  it("leads a platform admin from Admin to each admin page, which nothing else links to", async () => {
    const page = await browser.newPage();
    await signIn(page, podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin", exact: true }).click();
    await page.waitForURL(/\/admin\/users$/);
    const admin = page.getByRole("navigation", { name: "Admin" });
    for (const [name, path, heading] of [
      ["Health", "/admin/health", "Health"],
      ["Usage", "/admin/usage", "Usage across teams"],
      ["Users", "/admin/users", "Users"],
    ] as const) {
      await admin.getByRole("link", { name, exact: true }).click();
      await page.waitForURL((url) => url.pathname === path);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(heading);
      await expect(admin.getByRole("link", { name, exact: true }).getAttribute("aria-current")).resolves.toBe("page");
    }
    await page.close();
  });

  it("shows a friendly 404 page for unknown routes", async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${podspace.url}/no-such-page`);
    expect(response?.status()).toBe(404);
    expect(await page.getByRole("link", { name: /home|workspaces/i }).first().isVisible()).toBe(true);
    await page.close();
  });

  it("answers health and readiness with JSON", async () => {
    const health = await fetch(`${podspace.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });

    const ready = await fetch(`${podspace.url}/api/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      database: { kind: "pglite", ok: true },
      migrations: { pending: [] },
    });
  });

  it("refuses WebSocket upgrades on unknown paths with 404", async () => {
    expect(await websocketOutcome(`ws://localhost:${podspace.port}/api/nope`)).toBe(404);
    expect(await websocketOutcome(`ws://localhost:${podspace.port}/_next/webpack-hmr`)).toBe(404);
  });
});
