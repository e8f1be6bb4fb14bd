import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SHARED_PATHS } from "../test/runtime/contract";
import { launchBrowser, screenshot } from "./browser";
import { query } from "./database";
import { IDE_TEMPLATE } from "./ide-template";
import { DEMO, signIn } from "./sign-in";
import { usePodspaceStack } from "./stack";
import { seedRunningWorkspace, seedTemplate, typeInTerminalPanel } from "./workspace-terminal";

// Preview URLs as a developer uses them, against the production server and
// Chromium on the local runtime: start a real Vite dev server from the
// workspace's terminal, open it from the ports list on its own origin, edit
// a stylesheet, and see the page change without a reload (Vite's HMR
// WebSocket through the port proxy). Vite is the project's own (vitest's
// dependency), which the workspace sees read-only, as its Node.js. Then who
// else may open it: the owner widens it from the ports list, sends signed
// links and revokes them, and a team admin caps the team's sharing. Last,
// the workspace stopped, its port's page starts it again at the owner's
// click and follows it up to the app.

const NODE_MODULES = path.resolve(import.meta.dirname, "../node_modules");
const VITE = path.join(NODE_MODULES, "vite/bin/vite.js");
const PORT = 5173;

const VITE_COMMAND = `${process.execPath} ${VITE} --port ${PORT} --strictPort > ~/vite.log 2>&1 &`;

/** The app is started from the terminal the first time; from then on, by the startup script, as a project's template would. */
const TEMPLATE = {
  ...IDE_TEMPLATE,
  slug: "e2e-preview",
  name: "E2E preview",
  ports: [{ port: PORT, label: "Vite" }],
  startupScript: `if [ -f ~/app/index.html ]; then cd ~/app && (${VITE_COMMAND}); fi`,
};

/** The app: a heading styled by a stylesheet that Vite hot-swaps. */
const APP_SETUP = [
  "mkdir -p ~/app && cd ~/app",
  `echo '<h1 id="title">hello from vite</h1><script type="module" src="/main.js"></script>' > index.html`,
  `echo 'import "./style.css";' > main.js`,
  `echo 'h1 { color: rgb(255, 0, 0) }' > style.css`,
  `(${VITE_COMMAND})`,
  "echo app-$((6*7))",
].join(" && ");

describe("preview URLs", () => {
  const stack = usePodspaceStack({ PODSPACE_LOCAL_SHARED_PATHS: [...TEST_SHARED_PATHS, NODE_MODULES].join(":") });
  /** Dana, the workspace's owner; Lee, an admin of its team; a browser that never signed in, once the port is public. */
  let page: Page;
  let lee: Page;
  let nobody: Page;
  /** A browser that never signed in either, given signed links. */
  let linkHolder: Page;
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

  /**
   * Where a browser ends up opening the app's URL (or `path` on its origin),
   * following HTTP redirects only: the app, Podspace's sign-in, or the status
   * and page it got. For browsers with no Podspace session, which no
   * handoff page posts on.
   */
  async function landsOn(page: Page, path = "/"): Promise<string> {
    const reply = await page.goto(`${previewOrigin()}${path}`);
    const url = new URL(page.url());
    if (url.origin === stack.podspace.url && url.pathname === "/login") return "sign-in";
    if (url.origin === previewOrigin() && (await page.locator("#title").count()) === 1) return "app";
    return `${reply?.status()} ${url.origin}${url.pathname}`;
  }

  const portsRow = () => page.getByRole("table", { name: "Ports" }).locator(`tr[data-port="${PORT}"]`);
  const shareSelect = () => page.getByLabel(`Who may open port ${PORT}`);
  const linkDialog = () => page.getByRole("dialog", { name: `Share port ${PORT} with a link` });
  /** The dialog's links in force. */
  const listedLinks = () => linkDialog().getByRole("region", { name: `Links to port ${PORT}` }).locator("li");

  /** Creates a signed link in the open "Share link" dialog, lasting `lifetime`: its URL, as the dialog shows it the one time. */
  async function createLink(lifetime: string): Promise<string> {
    const dialog = linkDialog();
    await dialog.getByLabel("Expires after").selectOption({ label: lifetime });
    await dialog.getByRole("button", { name: "Create link" }).click();
    const url = dialog.getByLabel(`Link to port ${PORT}`);
    await url.waitFor();
    await dialog.getByText(/Copy it now: you won't see it again\./).waitFor();
    return url.inputValue();
  }

  beforeAll(async () => {
    const templateVersionId = await seedTemplate(stack.database.url, TEMPLATE);
    page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery, so that Dana is a plain member of team demo.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
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
    await screenshot(page.getByRole("region", { name: "Ports" }), "ports-list");

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
    await screenshot(app, "preview-app");
    await app.close();
  });

  it("sends a browser that isn't signed in to Podspace's sign-in and answers another user 404, until the owner shares the port wider", async () => {
    const anonymous = await launchBrowser();
    others.push(anonymous);
    lee = await anonymous.newPage();
    await lee.goto(`${previewOrigin()}/`);
    expect(new URL(lee.url()).pathname).toBe("/login");
    expect(new URL(lee.url()).origin).toBe(stack.podspace.url);

    await signIn(lee, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    const reply = await lee.goto(`${previewOrigin()}/`);
    expect(reply?.status()).toBe(404);
    expect(new URL(lee.url()).pathname).toBe(`/w/${workspaceId}/ports/${PORT}/`);
    expect(await lee.content()).not.toContain("hello from vite");

    // Dana opens it to anyone signed in, from the ports list: Lee gets in.
    const share = page.getByLabel(`Who may open port ${PORT}`);
    await share.selectOption("authenticated");
    await page.getByText(`Port ${PORT} is open to anyone signed in.`).waitFor();
    await expect.poll(() => seesApp(lee), { timeout: 20_000 }).toBe(true);

    // Public: a browser that never signed in gets the app itself.
    await share.selectOption("public");
    await page.getByText(`Port ${PORT} is open to anyone.`).waitFor();
    const fresh = await launchBrowser();
    others.push(fresh);
    nobody = await fresh.newPage();
    await expect.poll(() => seesApp(nobody), { timeout: 20_000 }).toBe(true);
  });

  it("lets a browser that never signed in open the port with a signed link, until the owner revokes it, from its next request on", async () => {
    await shareSelect().selectOption("owner");
    await page.getByText(`Port ${PORT} is open to only you.`).waitFor();
    const holder = await launchBrowser();
    others.push(holder);
    linkHolder = await holder.newPage();
    // Without a link it is sent to sign in (the owner's change reaches the proxy within its few seconds).
    await expect.poll(() => landsOn(linkHolder), { timeout: 20_000 }).toBe("sign-in");

    await portsRow().getByRole("button", { name: `Share link to port ${PORT}` }).click();
    await linkDialog().getByText("None.").waitFor();
    const link = await createLink("1 hour");
    expect(link).toMatch(new RegExp(`^${previewOrigin().replaceAll(".", "\\.")}/__podspace/link/[\\w-]{43}$`));
    // Listed, with no secret in sight, lasting the hour chosen.
    await expect.poll(() => listedLinks().count()).toBe(1);
    expect(await listedLinks().first().innerText()).toMatch(/^Created just now, expires /);
    expect(await listedLinks().first().innerText()).not.toContain(link.split("/").at(-1));
    const [stored] = await query<{ minutes: number }>(
      stack.database.url,
      `SELECT round(extract(epoch FROM "expiresAt" - "createdAt") / 60)::int AS minutes FROM "PortLink" WHERE "workspaceId" = $1`,
      [workspaceId],
    );
    expect(stored?.minutes).toBe(60);
    await screenshot(linkDialog(), "port-link-created");

    // The link's holder gets the app, and keeps it from page to page.
    expect(await landsOn(linkHolder, new URL(link).pathname)).toBe("app");
    expect(new URL(linkHolder.url()).pathname).toBe("/");
    expect(await landsOn(linkHolder)).toBe("app");

    await linkDialog().getByRole("button", { name: /^Revoke the link created/ }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke this link?" });
    await screenshot(confirm, "port-link-revoke");
    await confirm.getByRole("button", { name: "Revoke link" }).click();
    await page.getByRole("list", { name: "Notifications" }).getByText("Link revoked: it no longer opens the port.").waitFor();
    // Refused at once: no waiting out a cache.
    expect(await landsOn(linkHolder)).toBe("sign-in");
    expect(await landsOn(linkHolder, new URL(link).pathname)).toMatch(/^404 /);
    expect(await linkHolder.getByText("This link has expired or was revoked.").count()).toBe(1);
    // The dialog stays, its list without the link.
    await linkDialog().getByText("None.").waitFor();
    await linkDialog().getByRole("button", { name: "Close" }).click();
  });

  it("lets a team admin cap the team's sharing at its members: a public port narrows, links stop, and the ports list offers neither", async () => {
    // A link, and the port public again: both work.
    await portsRow().getByRole("button", { name: `Share link to port ${PORT}` }).click();
    const link = await createLink("1 day");
    expect(await landsOn(linkHolder, new URL(link).pathname)).toBe("app");
    await linkDialog().getByRole("button", { name: "Close" }).click();
    await shareSelect().selectOption("public");
    await page.getByText(`Port ${PORT} is open to anyone.`).waitFor();
    await expect.poll(() => landsOn(nobody), { timeout: 20_000 }).toBe("app");
    // Open on a fresh form while the cap changes underneath it.
    await portsRow().getByRole("button", { name: `Share link to port ${PORT}` }).click();
    await expect.poll(() => listedLinks().count()).toBe(1);

    // Lee, an admin of team demo, finds the setting from the team's page, in
    // a tab of its own: Lee's first tab still runs the Vite app, whose client
    // reloads it when the port answers again (now), which could win the race
    // with a navigation away.
    const vite = lee;
    lee = await vite.context().newPage();
    await vite.close();
    await lee.goto(`${stack.podspace.url}/teams/demo`);
    await lee.getByRole("navigation", { name: "Team" }).getByRole("link", { name: "Settings" }).click();
    await lee.waitForURL(/\/teams\/demo\/settings$/);
    const previewUrls = lee.getByRole("region", { name: "Preview URLs" });
    const cap = previewUrls.getByLabel("Widest share level members may use");
    expect(await cap.inputValue()).toBe("public");
    await cap.selectOption({ label: "Members of this team" });
    await previewUrls.getByRole("button", { name: "Save" }).click();
    await lee.getByRole("list", { name: "Notifications" }).getByText("Saved. The team's ports may be shared at most with: Members of this team.").waitFor();
    await screenshot(previewUrls, "team-port-share-cap");
    const audited = await query<{ email: string; before: unknown; after: unknown }>(
      stack.database.url,
      `SELECT u.email, a.before, a.after FROM "AuditLog" a JOIN "User" u ON u.id = a."actorId" WHERE a.action = 'team.port-share-capped'`,
    );
    expect(audited).toEqual([{ email: "lead@podspace.dev", before: { maxShare: "public" }, after: { maxShare: "team" } }]);

    // Creating a link in the dialog opened before is refused, saying why.
    await linkDialog().getByRole("button", { name: "Create link" }).click();
    await linkDialog().getByText("This team's ports may not be shared outside Podspace.").waitFor();
    await screenshot(linkDialog(), "port-link-refused");
    await linkDialog().getByRole("button", { name: "Cancel" }).click();

    // The ports list narrows the port to the team, offers nothing wider, and no links, saying why.
    await expect.poll(() => shareSelect().inputValue(), { timeout: 10_000 }).toBe("team");
    expect(await shareSelect().locator("option").evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value))).toEqual(["owner", "team"]);
    const shareLink = portsRow().getByRole("button", { name: `Share link to port ${PORT}` });
    expect(await shareLink.isDisabled()).toBe(true);
    const refusal = page.getByText(/^No signed links: they reach people outside Podspace, and this team's ports may be shared only with your team/);
    expect(await refusal.isVisible()).toBe(true);
    expect(await shareLink.getAttribute("aria-describedby")).toBe(await refusal.getAttribute("id"));
    expect(await shareLink.locator("xpath=..").getAttribute("title")).toBe(await refusal.textContent());
    await screenshot(page.getByRole("region", { name: "Ports" }), "ports-list-capped");
    // The owner's choice is kept, narrowed while the cap stands.
    expect(await query(stack.database.url, `SELECT share FROM "WorkspacePort" WHERE "workspaceId" = $1`, [workspaceId])).toEqual([{ share: "PUBLIC" }]);

    // Neither the public port nor the link lets anyone outside the team in any more.
    await expect.poll(() => landsOn(nobody), { timeout: 20_000 }).toBe("sign-in");
    expect(await landsOn(linkHolder)).toBe("sign-in");

    // Dana, a member, sees the cap on the team's settings without the means to change it.
    await page.goto(`${stack.podspace.url}/teams/demo/settings`);
    const readOnly = page.getByRole("region", { name: "Preview URLs" });
    expect(await readOnly.getByText("Ports may be shared at most with: Members of this team.").isVisible()).toBe(true);
    expect(await readOnly.getByRole("combobox").count()).toBe(0);
    expect(await readOnly.getByRole("button").count()).toBe(0);
  });

  it("starts a stopped workspace from its port's page at its owner's click, and follows it up to the app", async () => {
    await page.goto(`${stack.podspace.url}/workspaces/${workspaceId}`);
    await page.getByRole("button", { name: "Stop preview" }).click();
    await page.getByTestId("workspace-state").getByText("Stopped", { exact: true }).waitFor({ timeout: 30_000 });

    const app = await page.context().newPage();
    const start = app.getByRole("button", { name: "Start preview" });
    // Once the proxy's few seconds of reuse of the running workspace's state are over.
    await expect
      .poll(async () => {
        await app.goto(`${previewOrigin()}/`);
        return start.count();
      }, { timeout: 20_000 })
      .toBe(1);
    expect(await app.getByText("Workspace preview is not running. Start it to open port 5173").isVisible()).toBe(true);
    await screenshot(app, "port-wake");
    await start.click();
    // "Starting…", then "Nothing listening yet" while Vite comes up, each reloading itself, then the app.
    await app.locator("#title").waitFor({ timeout: 60_000 });
    expect(new URL(app.url()).origin).toBe(previewOrigin());
    expect(await app.locator("#title").innerText()).toBe("hello from vite");
    const [row] = await query<{ state: string }>(stack.database.url, `SELECT state FROM "Workspace" WHERE id = $1`, [workspaceId]);
    expect(row?.state).toBe("RUNNING");
    const audited = await query<{ email: string }>(
      stack.database.url,
      `SELECT u.email FROM "AuditLog" a JOIN "User" u ON u.id = a."actorId" WHERE a.action = 'workspace.start-requested' AND a."targetId" = $1`,
      [workspaceId],
    );
    expect(audited).toEqual([{ email: "dev@podspace.dev" }]);
    await app.close();
  });
});
