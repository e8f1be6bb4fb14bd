import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";

// Debian's Chromium driven by playwright-core: Playwright's own browser
// download is not reachable here. The flags keep it from calling home.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchBrowser(): Promise<BrowserContext> {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-chromium-"));
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 720 },
  });
}

/**
 * Clicks `trigger` until `opened` shows: a click that lands before the page
 * has hydrated (its scripts still loading on a busy machine) opens nothing,
 * and is lost.
 */
export async function clickUntilShown(trigger: Locator, opened: Locator, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Short: once a dialog has opened, its overlay keeps any further click off the trigger.
    await trigger.click({ timeout: 2_000 }).catch(() => {});
    if (await opened.waitFor({ timeout: 2_000 }).then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`clicking ${trigger} did not show ${opened} within ${timeoutMs / 1000} s`);
  }
}

/**
 * Saves `target` (a page, whole; or a part of one) as `<name>.png` in
 * PODSPACE_E2E_SCREENSHOTS when it is set: for people to look at the UI as
 * the tests leave it. No test reads them.
 */
export async function screenshot(target: Page | Locator, name: string, { fullPage = true } = {}): Promise<void> {
  const dir = process.env.PODSPACE_E2E_SCREENSHOTS;
  if (!dir) return;
  const file = path.join(dir, `${name}.png`);
  await ("goto" in target ? target.screenshot({ path: file, fullPage }) : target.screenshot({ path: file }));
}
