import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SHARED_PATHS } from "../test/runtime/contract";
import { launchBrowser } from "./browser";
import { IDE_TEMPLATE } from "./ide-template";
import { DEMO, signIn } from "./sign-in";
import { usePodspaceStack } from "./stack";
import { seedRunningWorkspace, seedTemplate, typeInTerminalPanel } from "./workspace-terminal";

// Preview URLs as a developer uses them, against the production server and
// Chromium on the local runtime: start a real Vite dev server from the
// workspace's terminal, open it from the ports list on its own origin, edit
// a stylesheet, and see the page change without a reload (Vite's HMR
// WebSocket through the port proxy). Vite is the project's own (vitest's
// dependency), which the workspace sees read-only, as its Node.js.

const SCREENSHOTS = process.env.PODSPACE_E2E_SCREENSHOTS;
const NODE_MODULES = path.resolve(import.meta.dirname, "../node_modules");
const VITE = path.join(NODE_MODULES, "vite/bin/vite.js");
const PORT = 5173;

const TEMPLATE = { ...IDE_TEMPLATE, slug: "e2e-preview", name: "E2E preview", ports: [{ port: PORT, label: "Vite" }] };

/** The app: a heading styled by a stylesheet that Vite hot-swaps. */
const APP_SETUP = [
  "mkdir -p ~/app && cd ~/app",
  `echo '<h1 id="title">hello from vite</h1><script type="module" src="/main.js"></script>' > index.html`,
  `echo 'import "./style.css";' > main.js`,
  `echo 'h1 { color: rgb(255, 0, 0) }' > style.css`,
  `(${process.execPath} ${VITE} --port ${PORT} --strictPort > ~/vite.log 2>&1 &)`,
  "echo app-$((6*7))",
].join(" && ");

describe("preview URLs", () => {
  const stack = usePodspaceStack({ PODSPACE_LOCAL_SHARED_PATHS: [...TEST_SHARED_PATHS, NODE_MODULES].join(":") });
  let page: Page;
  const workspaceId = `e2e${randomBytes(6).toString("hex")}`;
  const previewOrigin = () => {
    const podspace = new URL(stack.podspace.url);
    return `${podspace.protocol}//p${PORT}-${workspaceId}.preview.${podspace.hostname}:${podspace.port}`;
  };
  const others: Array<{ close(): Promise<void> }> = [];
  /**
   * Opens the app's URL and follows wherever it leads (a sign-in handoff
   * posts itself on): whether the app is what shows. A share change reaches
   * the proxy within its few seconds of reuse, so callers poll.
   */
  async function seesApp(page: Page): Promise<boolean> {
    await page.goto(`${previewOrigin()}/`);
    await page.waitForURL((url) => url.origin === previewOrigin() && url.pathname === "/", { timeout: 10_000 });
    await page.waitForLoadState();
    return (await page.locator("#title").count()) === 1;
  }

  beforeAll(async () => {
    const templateVersionId = await seedTemplate(stack.database.url, TEMPLATE);
    page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await seedRunningWorkspace(stack.database.url, stack.podspace, { id: workspaceId, name: "preview", templateVersionId });
  }, 150_000);
  afterAll(async () => {
    await Promise.all(others.map((browser) => browser.close()));
  });

  it("lists a dev server started in the terminal, opens it on its own origin, and hot-reloads an edit without a reload", async () => {
    await page.goto(`${stack.podspace.url}/workspaces/${workspaceId}`);
    const ports = page.getByRole("table", { name: "Ports" });
    // Declared by the template before anything listens.
    await expect.poll(() => ports.locator(`tr[data-port="${PORT}"]`).innerText(), { timeout: 20_000 }).toMatch(/not listening/);
    await page.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
    await typeInTerminalPanel(page, APP_SETUP, "app-42");

    const row = ports.locator(`tr[data-port="${PORT}"]`);
    await expect.poll(() => row.innerText(), { timeout: 30_000 }).toMatch(/node vite\.js/);
    expect(await row.innerText()).toContain(`${previewOrigin()}/`);
    if (SCREENSHOTS) await page.getByRole("region", { name: "Ports" }).screenshot({ path: path.join(SCREENSHOTS, "ports-list.png") });

    const [app] = await Promise.all([page.context().waitForEvent("page"), row.getByRole("link", { name: `Open port ${PORT}` }).click()]);
    await app.waitForURL(`${previewOrigin()}/`, { timeout: 20_000 });
    const title = app.locator("#title");
    await title.waitFor();
    expect(await title.innerText()).toBe("hello from vite");
    const color = () => title.evaluate((element) => getComputedStyle(element).color);
    await expect.poll(color, { timeout: 10_000 }).toBe("rgb(255, 0, 0)");
    // Gone if the page reloads: the change below must arrive over Vite's HMR socket.
    await app.evaluate(() => Object.assign(window, { loadedOnce: true }));
    // The port's cookie is httpOnly: the app's scripts never see it, nor Podspace's.
    expect(await app.evaluate(() => document.cookie)).toBe("");
    // Podspace's pages are another site's to this origin: not readable from it.
    const podspaceRead = await app.evaluate(async (podspace) => {
      try {
        await (await fetch(`${podspace}/workspaces`, { credentials: "include" })).text();
        return "read";
      } catch {
        return "blocked";
      }
    }, stack.podspace.url);
    expect(podspaceRead).toBe("blocked");

    await typeInTerminalPanel(page, "sed -i 's/255, 0, 0/0, 0, 255/' ~/app/style.css && echo edited-$((6*7))", "edited-42");
    await expect.poll(color, { timeout: 15_000 }).toBe("rgb(0, 0, 255)");
    expect(await app.evaluate(() => (window as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    if (SCREENSHOTS) await app.screenshot({ path: path.join(SCREENSHOTS, "preview-app.png") });
    await app.close();
  });

  it("sends a browser that isn't signed in to Podspace's sign-in and answers another user 404, until the owner shares the port wider", async () => {
    const anonymous = await launchBrowser();
    others.push(anonymous);
    const stranger = await anonymous.newPage();
    await stranger.goto(`${previewOrigin()}/`);
    expect(new URL(stranger.url()).pathname).toBe("/login");
    expect(new URL(stranger.url()).origin).toBe(stack.podspace.url);

    await signIn(stranger, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    const reply = await stranger.goto(`${previewOrigin()}/`);
    expect(reply?.status()).toBe(404);
    expect(new URL(stranger.url()).pathname).toBe(`/w/${workspaceId}/ports/${PORT}/`);
    expect(await stranger.content()).not.toContain("hello from vite");

    // Dana opens it to anyone signed in, from the ports list: Lee gets in.
    const share = page.getByLabel(`Who may open port ${PORT}`);
    await share.selectOption("authenticated");
    await page.getByText(`Port ${PORT} is open to anyone signed in.`).waitFor();
    await expect.poll(() => seesApp(stranger), { timeout: 20_000 }).toBe(true);

    // Public: a browser that never signed in gets the app itself.
    await share.selectOption("public");
    await page.getByText(`Port ${PORT} is open to anyone.`).waitFor();
    const nobody = await (await launchBrowser()).newPage();
    others.push(nobody.context());
    await expect.poll(() => seesApp(nobody), { timeout: 20_000 }).toBe(true);
  });
});
