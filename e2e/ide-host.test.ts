import { randomBytes } from "node:crypto";
import type { Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./browser";
import { CODE_SERVER_INSTALLED, endWorkspaceProcesses, IDE_TEMPLATE } from "./ide-template";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { seedRunningWorkspace, seedTemplate, terminalInPage } from "./workspace-terminal";

// The wildcard-host IDE mode (PODSPACE_IDE_HOST) in Chromium against the
// production server: the workspace page frames the IDE from the workspace's
// own origin, <id>.ide.localhost (Chromium resolves *.localhost to the
// loopback by itself), signed in through the handoff, no token in any URL.

describe("the IDE on its own origin (PODSPACE_IDE_HOST)", () => {
  const stack = usePodspaceStack({ PODSPACE_IDE_HOST: "*.ide.localhost" });
  let page: Page;
  const workspaceId = `e2e${randomBytes(6).toString("hex")}`;
  const ideOrigin = () => `http://${workspaceId}.ide.localhost:${stack.podspace.port}`;
  /** Every URL the browser requested, to show that no ticket or cookie value travels in one. */
  const requested: string[] = [];

  /** The IDE's workbench (or the test IDE's answer) in `frame`, with the file made in the terminal. */
  async function expectIdeWithFile(frame: Frame | Page) {
    if (CODE_SERVER_INSTALLED) {
      await frame.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
      await frame.getByRole("treeitem", { name: /from-the-terminal\.txt/ }).waitFor({ timeout: 60_000 });
    } else {
      await expect.poll(() => frame.textContent("body"), { timeout: 20_000 }).toMatch(/"ide":"test"/);
    }
  }

  beforeAll(async () => {
    const templateVersionId = await seedTemplate(stack.database.url, IDE_TEMPLATE);
    page = await stack.browser.newPage();
    stack.browser.on("request", (request) => requested.push(request.url()));
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await seedRunningWorkspace(stack.database.url, stack.podspace, { id: workspaceId, templateVersionId });
  }, 150_000);
  afterAll(() => endWorkspaceProcesses(stack.podspace, workspaceId));

  it("frames the IDE from the workspace's own origin, which can't reach into Podspace's page", async () => {
    await page.goto(`${stack.podspace.url}/workspaces/${workspaceId}`);
    await terminalInPage(page, { workspaceId, session: "e2e-file", command: "echo hi > from-the-terminal.txt && echo wr$((1))tten", expected: "wr1tten" });
    await page.reload();

    await expect.poll(() => page.frames().find((frame) => frame.url().startsWith(`${ideOrigin()}/`))?.url(), { timeout: 30_000 }).toMatch(/\?folder=/);
    const ide = page.frames().find((frame) => frame.url().startsWith(`${ideOrigin()}/`))!;
    await expectIdeWithFile(ide);
    // Origin isolation: code in the IDE's frame can't read Podspace's page.
    expect(await ide.evaluate(() => {
      try {
        return window.parent.document.title;
      } catch {
        return "blocked";
      }
    })).toBe("blocked");

    // The handoff carried its ticket in a POST body; the IDE cookie lives on the IDE's host only.
    const cookies = await stack.browser.cookies();
    const ideCookie = cookies.find((cookie) => cookie.name === "podspace-ide");
    expect(ideCookie).toMatchObject({ domain: `${workspaceId}.ide.localhost`, httpOnly: true, secure: true, sameSite: "None" });
    for (const url of requested) expect(url).not.toContain(ideCookie!.value.slice(0, 40));
    expect(requested.some((url) => /ticket=/.test(url))).toBe(false);
  });

  it("opens in a new tab through the same handoff", async () => {
    await page.goto(`${stack.podspace.url}/workspaces/${workspaceId}`);
    const [tab] = await Promise.all([stack.browser.waitForEvent("page"), page.getByRole("link", { name: "Open in new tab" }).click()]);
    await tab.waitForURL((url) => url.origin === ideOrigin() && url.searchParams.has("folder"), { timeout: 30_000 });
    await expectIdeWithFile(tab);
    await tab.close();
  });

  it("refuses another user on Podspace's path and on the IDE's own origin", async () => {
    // A browser of Lee's own: Dana's IDE cookie in this one would still be Dana's.
    const other = await launchBrowser();
    const lee = await other.newPage();
    await signIn(lee, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    expect((await lee.goto(`${stack.podspace.url}/w/${workspaceId}/ide/`))?.status()).toBe(404);
    // Straight to the IDE's origin: no cookie there, so back to the handoff, which says 404.
    const direct = await lee.goto(`${ideOrigin()}/`);
    expect(direct?.status()).toBe(404);
    expect(lee.url()).toBe(`${stack.podspace.url}/w/${workspaceId}/ide/`);
    // Nor does a WebSocket to the IDE's origin open without its cookie.
    const opened = await lee.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url);
          socket.onopen = () => resolve("open");
          socket.onerror = () => resolve("refused");
        }),
      `${ideOrigin().replace("http", "ws")}/socket`,
    );
    expect(opened).toBe("refused");
    await other.close();
  });
});
