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
    // Its icon, served to anyone (a browser asks for it before signing in too).
    const icon = await page.locator('link[rel="icon"]').getAttribute("href");
    const served = await fetch(new URL(icon!, podspace.url));
    expect([served.status, served.headers.get("content-type")]).toEqual([200, "image/svg+xml"]);
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
