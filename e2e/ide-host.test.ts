import { randomBytes } from "node:crypto";
import type { Frame, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../test/helpers/net";
import { launchBrowser } from "./browser";
import { CODE_SERVER_INSTALLED, IDE_TEMPLATE } from "./ide-template";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { seedRunningWorkspace, seedTemplate, terminalInPage } from "./workspace-terminal";

// The wildcard-host IDE mode (PODSPACE_IDE_HOST) in Chromium against the
// production server: the workspace page frames the IDE from the workspace's
// own origin, signed in through the handoff, no token in any URL. Laid out
// as the README advises, on one site: Podspace at podspace.localhost, IDEs
// at <id>.ide.podspace.localhost (Chromium resolves *.localhost to the
// loopback by itself, the server through lib/server/localhost-names.ts). On
// another site, browsers that block third-party storage (this Chromium
// does) would deny code-server its localStorage and IndexedDB in the frame.

const PORT = await freePort();
const PODSPACE = `http://podspace.localhost:${PORT}`;

describe("the IDE on its own origin (PODSPACE_IDE_HOST)", () => {
  const stack = usePodspaceStack({ PORT: String(PORT), PODSPACE_URL: PODSPACE, PODSPACE_IDE_HOST: "*.ide.podspace.localhost" });
  let page: Page;
  const workspaceId = `e2e${randomBytes(6).toString("hex")}`;
  const ideOrigin = () => `http://${workspaceId}.ide.podspace.localhost:${PORT}`;
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

  /** code-server's web extension host, a frame of the IDE on the IDE's own origin: whether the browser showed it, or why not. */
  const extensionHost = { shown: false, refused: [] as string[] };

  beforeAll(async () => {
    const templateVersionId = await seedTemplate(stack.database.url, IDE_TEMPLATE);
    page = await stack.browser.newPage();
    stack.browser.on("request", (request) => requested.push(request.url()));
    page.on("framenavigated", (frame) => {
      if (/webWorkerExtensionHostIframe\.html/.test(frame.url())) extensionHost.shown = true;
    });
    page.on("requestfailed", (request) => {
      if (/webWorkerExtensionHostIframe\.html/.test(request.url())) extensionHost.refused.push(request.failure()?.errorText ?? "failed");
    });
    await signIn(page, PODSPACE, { provider: DEMO, account: /Dana Developer/ });
    await seedRunningWorkspace(stack.database.url, stack.podspace, { id: workspaceId, templateVersionId });
  }, 150_000);

  it("frames the IDE from the workspace's own origin, which can't reach into Podspace's page", async () => {
    await page.goto(`${PODSPACE}/workspaces/${workspaceId}`);
    await terminalInPage(page, { workspaceId, session: "e2e-file", command: "echo hi > from-the-terminal.txt && echo wr$((1))tten", expected: "wr1tten" });
    await page.reload();

    await expect.poll(() => page.frames().find((frame) => frame.url().startsWith(`${ideOrigin()}/`))?.url(), { timeout: 30_000 }).toMatch(/\?folder=/);
    const ide = page.frames().find((frame) => frame.url().startsWith(`${ideOrigin()}/`))!;
    await expectIdeWithFile(ide);
    if (CODE_SERVER_INSTALLED) {
      // The IDE frames itself (its web extension host), inside Podspace's page: both ancestors are allowed.
      await expect.poll(() => extensionHost, { timeout: 30_000 }).toEqual({ shown: true, refused: [] });
    }
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
    expect(ideCookie).toMatchObject({ domain: `${workspaceId}.ide.podspace.localhost`, httpOnly: true, secure: true, sameSite: "None" });
    for (const url of requested) expect(url).not.toContain(ideCookie!.value.slice(0, 40));
    expect(requested.some((url) => /ticket=/.test(url))).toBe(false);
  });

  it("opens in a new tab through the same handoff", async () => {
    await page.goto(`${PODSPACE}/workspaces/${workspaceId}`);
    const [tab] = await Promise.all([stack.browser.waitForEvent("page"), page.getByRole("link", { name: "Open in new tab" }).click()]);
    await tab.waitForURL((url) => url.origin === ideOrigin() && url.searchParams.has("folder"), { timeout: 30_000 });
    await expectIdeWithFile(tab);
    await tab.close();
  });

  it("refuses another user on Podspace's path and on the IDE's own origin", async () => {
    // A browser of Lee's own: Dana's IDE cookie in this one would still be Dana's.
    const other = await launchBrowser();
    const lee = await other.newPage();
    await signIn(lee, PODSPACE, { provider: DEMO, account: /Lee Lead/ });
    expect((await lee.goto(`${PODSPACE}/w/${workspaceId}/ide/`))?.status()).toBe(404);
    // Straight to the IDE's origin: no cookie there, so back to the handoff, which says 404.
    const direct = await lee.goto(`${ideOrigin()}/`);
    expect(direct?.status()).toBe(404);
    expect(lee.url()).toBe(`${PODSPACE}/w/${workspaceId}/ide/`);
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
