import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { CODE_SERVER_INSTALLED, GATED_IDE_TEMPLATE, healthCheckTemplate, IDE_GATE_FILE, IDE_TEMPLATE } from "./ide-template";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { screenshot } from "./browser";
import { query } from "./database";
import {
  expectCommandAndScrollbackInPanel,
  expectCommandAndScrollbackOverSocket,
  seedRunningWorkspace,
  seedTemplate,
  terminalInPage,
  typeInTerminalPanel,
  waitForIdeReady,
} from "./workspace-terminal";

// The workspace page's terminal and IDE against the real production server
// and Chromium, on the local runtime, with the IDE of ./ide-template.ts.



describe("the workspace page's terminal and IDE", () => {
  const stack = usePodspaceStack();
  let page: Page;
  const workspaceId = `e2e${randomBytes(6).toString("hex")}`;

  beforeAll(async () => {
    const templateVersionId = await seedTemplate(stack.database.url, IDE_TEMPLATE);
    page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await seedRunningWorkspace(stack.database.url, stack.podspace, { id: workspaceId, templateVersionId });
  }, 150_000);

  it("runs a command in the terminal, and a reloaded page gets the scrollback back", async () => {
    await expectCommandAndScrollbackOverSocket(page, stack.podspace, workspaceId, "e2e-tab");

    const [row] = await query<{ lastActivityAt: Date | null }>(stack.database.url, `SELECT "lastActivityAt" FROM "Workspace" WHERE id = $1`, [workspaceId]);
    expect(row?.lastActivityAt).toBeInstanceOf(Date);
  });

  it("shows a failed startup script as a warning in the event log, with its output", async () => {
    const id = `e2e${randomBytes(6).toString("hex")}`;
    const template = { ...healthCheckTemplate("e2e-failing-script", "Failing script"), startupScript: "echo from-the-script; exit 7" };
    await seedRunningWorkspace(stack.database.url, stack.podspace, { id, templateVersionId: await seedTemplate(stack.database.url, template), name: "failing-script" });
    await waitForIdeReady(stack.database.url, stack.podspace, id);

    await page.goto(`${stack.podspace.url}/workspaces/${id}`);
    const warning = page.getByRole("region", { name: "Events" }).locator('li[data-level="warning"]').filter({ hasText: "startup script failed with exit code 7" });
    await warning.waitFor({ timeout: 20_000 });
    await warning.getByText("Output", { exact: true }).click();
    // The script's own output, none of the sandbox's that the same log holds.
    expect(await warning.getByLabel("Output").textContent()).toBe("from-the-script");
    await screenshot(page, "startup-script-warning");
  });

  it("uses the terminal panel on the workspace page", async () => {
    // Opened with the page, the terminal has the keyboard: no click first.
    await page.goto(`${stack.podspace.url}/workspaces/${workspaceId}`);
    await page.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label")), { timeout: 5_000 }).toBe("Terminal 1 input");
    expect(await page.evaluate(() => window.scrollY)).toBe(0);

    await expectCommandAndScrollbackInPanel(page, stack.podspace, workspaceId);
    await screenshot(page, "tools-terminal", { fullPage: false });

    // Cut the socket under the page: the terminal reconnects by itself and
    // the session, with its scrollback, is still there.
    const sockets: Array<{ close(): Promise<void> }> = [];
    await page.routeWebSocket(/\/api\/workspaces\/.*\/terminal/, (socket) => {
      socket.connectToServer();
      sockets.push(socket);
    });
    await page.reload();
    await page.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
    expect(sockets).toHaveLength(1);
    await sockets[0]!.close();
    await expect.poll(() => sockets.length, { timeout: 20_000 }).toBe(2);
    await page.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
    await typeInTerminalPanel(page, "echo again-$((2*3))", "again-6");
    await page.unrouteAll();

    // A second tab, by keyboard.
    await page.getByRole("button", { name: "New terminal" }).click();
    const tablist = page.getByRole("region", { name: "Workspace tools" }).getByRole("tablist", { name: "Terminals" });
    expect(await tablist.getByRole("tab").count()).toBe(2);
    expect(await page.getByRole("status").filter({ hasText: /Connected|Connecting|Reconnecting/ }).count()).toBeGreaterThan(0);
  });

  it("says whether its updates are live: connecting at first, reconnecting after a drop, then live again", async () => {
    // The page's event stream, held unanswered until it is cut.
    const held: Array<{ abort(): Promise<void> }> = [];
    await page.route(/\/api\/workspaces\/[^/]+\/events/, (route) => void held.push(route));
    await page.goto(`${stack.podspace.url}/workspaces/${workspaceId}`);
    const indicator = page.getByTestId("workspace-updates");
    await expect.poll(() => held.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => indicator.textContent(), { timeout: 10_000 }).toBe("Connecting…");
    await Promise.all(held.map((route) => route.abort()));
    await expect.poll(() => indicator.textContent(), { timeout: 10_000 }).toBe("Reconnecting…");
    await page.unrouteAll();
    await expect.poll(() => indicator.textContent(), { timeout: 20_000 }).toBe("Live");
  });

  it("works in the terminal while the IDE is still starting, and opens the IDE the moment it is ready", async () => {
    const gatedId = `e2e${randomBytes(6).toString("hex")}`;
    const templateVersionId = await seedTemplate(stack.database.url, GATED_IDE_TEMPLATE);
    await seedRunningWorkspace(stack.database.url, stack.podspace, { id: gatedId, name: "gated", templateVersionId });
    await page.goto(`${stack.podspace.url}/workspaces/${gatedId}`);
    // Gone if the page is ever reloaded: what follows must arrive over the page's own event stream.
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }));

    // The IDE panel shows the IDE's own progress, its seconds ticking, and no frame yet.
    const tools = page.getByRole("region", { name: "Workspace tools" });
    const ideProgress = tools.getByRole("region", { name: "IDE progress" });
    await ideProgress.waitFor();
    expect(await ideProgress.getByRole("status").textContent()).toMatch(/Waiting for the IDE to answer \/healthz/);
    const elapsed = ideProgress.getByTestId("ide-elapsed");
    const before = await elapsed.textContent();
    await expect.poll(() => elapsed.textContent(), { timeout: 5_000 }).not.toBe(before);
    expect(await tools.locator("iframe").count()).toBe(0);
    const steps = page.getByRole("list", { name: "Start progress" });
    expect(await steps.locator('[data-step="shell"]').getAttribute("data-status")).toBe("done");
    expect(await steps.locator('[data-step="ide"]').getAttribute("data-status")).toBe("active");
    await screenshot(page, "tools-ide-starting", { fullPage: false });

    // The terminal works meanwhile; from it, let the IDE start.
    await tools.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
    await typeInTerminalPanel(page, `echo $((6*7)) && touch ${IDE_GATE_FILE}`, "42");

    // The ready event reaches the open page over its event stream: the frame loads without a reload.
    const frame = tools.locator('iframe[title="IDE (code-server) for this workspace"]');
    await frame.waitFor({ timeout: 30_000 });
    expect(await ideProgress.count()).toBe(0);
    expect(await page.evaluate(() => "loadedOnce" in window)).toBe(true);
    await expect.poll(() => steps.locator('[data-step="ready"]').getAttribute("data-status")).toBe("done");

    // A page loaded once the IDE is ready opens it at once.
    await page.reload();
    await frame.waitFor({ timeout: 10_000 });
    expect(await ideProgress.count()).toBe(0);
  });

  it("shows the IDE through the proxy, and nobody else's", async () => {
    await page.goto(`${stack.podspace.url}/workspaces/${workspaceId}`);
    await terminalInPage(page, { workspaceId, session: "e2e-file", command: "echo hi > hello-from-terminal.txt && echo wr$((1))tten", expected: "wr1tten" });

    await waitForIdeReady(stack.database.url, stack.podspace, workspaceId);
    const response = await page.goto(`${stack.podspace.url}/w/${workspaceId}/ide/`);
    expect(response?.status()).toBe(200);
    // Handed over to the IDE's own origin (the default), which opened the workspace's home.
    await page.waitForURL((url) => url.host === `${workspaceId}.ide.${new URL(stack.podspace.url).host}`);
    expect(new URL(page.url()).searchParams.get("folder")).toBe("/home/coder");
    if (CODE_SERVER_INSTALLED) {
      // code-server's workbench lists the folder over its WebSocket, through the proxy.
      await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
      await page.getByRole("treeitem", { name: /hello-from-terminal\.txt/ }).waitFor({ timeout: 60_000 });
    } else {
      expect(await page.textContent("body")).toMatch(/"ide":"test"/);
    }
    await screenshot(page, "tools-ide", { fullPage: false });

    // The team's lead may see the workspace but not open its IDE: 404, as for no workspace at all.
    const other = await stack.browser.newPage();
    await signIn(other, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    expect((await other.goto(`${stack.podspace.url}/w/${workspaceId}/ide/`))?.status()).toBe(404);
    await other.close();
  });
});
