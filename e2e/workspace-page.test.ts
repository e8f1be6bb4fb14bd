import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CODE_SERVER_VERSION } from "../lib/runtime/local/code-server";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { launchBrowser } from "./browser";
import { query } from "./database";
import { startPodspace, type PodspaceProcess } from "./harness";
import { DEMO, signIn } from "./sign-in";

// The workspace page's terminal and IDE against the real production server
// and Chromium, on the local runtime. The IDE is the real code-server when it
// is installed in the cache (test/runtime/code-server.test.ts installs it),
// otherwise the test IDE (test/fixtures/ide-ws-server.mjs).

const CACHE_DIR = process.env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace");
const CODE_SERVER_INSTALLED = fs.existsSync(path.join(CACHE_DIR, `code-server-${CODE_SERVER_VERSION}`, "node_modules", "code-server", "out", "node", "entry.js"));
const TEST_IDE = path.resolve(import.meta.dirname, "../test/fixtures/ide-ws-server.mjs");
const SCREENSHOTS = process.env.PODSPACE_E2E_SCREENSHOTS;

const SPEC = {
  slug: "e2e-tools",
  name: "E2E tools",
  description: "The terminal and the IDE.",
  image: "podspace/test-ide:1",
  resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  parameters: [],
  startupScript: "",
  ide: CODE_SERVER_INSTALLED
    ? { command: ["code-server", "--bind-addr", "{host}:{port}", "--auth", "none", "--disable-telemetry", "--disable-update-check", "."], healthPath: "/healthz" }
    : { command: [process.execPath, TEST_IDE, "{host}", "{port}"], healthPath: "/healthz" },
};

async function screenshot(page: Page, name: string) {
  if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/**
 * In the page: opens the terminal WebSocket for `session`, optionally types
 * `command`, and resolves with the `ready` message and the output (escape
 * sequences removed) once `expected` shows up as a line.
 */
function terminalInPage(page: Page, args: { workspaceId: string; session: string; command?: string; expected: string }) {
  return page.evaluate(
    ({ workspaceId, session, command, expected }) =>
      new Promise<{ ready: { replayed: number }; output: string }>((resolve, reject) => {
        const url = new URL(`/api/workspaces/${workspaceId}/terminal?session=${session}`, location.href);
        url.protocol = url.protocol.replace("http", "ws");
        const socket = new WebSocket(url);
        socket.binaryType = "arraybuffer";
        const decoder = new TextDecoder();
        let output = "";
        let ready: { replayed: number } | null = null;
        const line = new RegExp(`(^|\\n)\\r*${expected}\\r?\\n`);
        const timer = setTimeout(() => reject(new Error(`no ${expected} in:\n${output}`)), 20_000);
        socket.onclose = (event) => reject(new Error(`closed ${event.code} ${event.reason}`));
        socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
          if (typeof event.data === "string") {
            const message = JSON.parse(event.data) as { type: string; replayed: number };
            if (message.type === "ready") {
              ready = message;
              if (command) socket.send(new TextEncoder().encode(`${command}\r`));
            }
            return;
          }
          output += decoder.decode(event.data, { stream: true }).replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g, "");
          if (ready && line.test(output)) {
            clearTimeout(timer);
            socket.onclose = null;
            socket.close();
            resolve({ ready, output });
          }
        };
      }),
    args,
  );
}

describe("the workspace page's terminal and IDE", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let podspace: PodspaceProcess;
  let browser: BrowserContext;
  let page: Page;
  const workspaceId = `e2e${randomBytes(6).toString("hex")}`;

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    [podspace, browser] = await Promise.all([startPodspace({ env: { DATABASE_URL: database.url } }), launchBrowser()]);
    const templateId = randomUUID();
    const versionId = randomUUID();
    await query(database.url, `INSERT INTO "Template" (id, slug, name, description, tags, "updatedAt") VALUES ($1, $2, $3, $4, '{}', now())`, [
      templateId,
      SPEC.slug,
      SPEC.name,
      SPEC.description,
    ]);
    await query(database.url, `INSERT INTO "TemplateVersion" (id, "templateId", version, spec) VALUES ($1, $2, 1, $3)`, [versionId, templateId, JSON.stringify(SPEC)]);

    page = await browser.newPage();
    await signIn(page, podspace.url, { provider: DEMO, account: /Dana Developer/ });
    // Dana's workspace, written as the create form would; the reconciler starts it.
    await query(
      database.url,
      `INSERT INTO "Workspace" (id, name, "ownerId", "teamId", "templateVersionId", parameters, "updatedAt")
         SELECT $1, 'tools', u.id, t.id, $2, $3, now() FROM "User" u, "Team" t WHERE u.email = 'dev@podspace.dev' AND t.slug = 'demo'`,
      [workspaceId, versionId, JSON.stringify({ cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} })],
    );
    const deadline = Date.now() + 100_000;
    for (;;) {
      const [row] = await query<{ state: string; stateReason: string | null }>(database.url, `SELECT state, "stateReason" FROM "Workspace" WHERE id = $1`, [workspaceId]);
      if (row?.state === "RUNNING") break;
      if (row?.state === "FAILED" || Date.now() > deadline) throw new Error(`workspace did not start: ${JSON.stringify(row)}\n${podspace.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    // Stopping Podspace leaves workspaces running (as in production): end this one's processes.
    const record = podspace && path.join(podspace.dataDir, "runtime", "local", `${workspaceId}.json`);
    if (record && fs.existsSync(record)) {
      try {
        process.kill(-(JSON.parse(fs.readFileSync(record, "utf8")) as { pid: number }).pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    await podspace?.stop();
    await database?.drop();
  });

  it("runs a command in the terminal, and a reloaded page gets the scrollback back", async () => {
    await page.goto(`${podspace.url}/workspaces/${workspaceId}`);
    const first = await terminalInPage(page, { workspaceId, session: "e2e-tab", command: "echo $((6*7))", expected: "42" });
    expect(first.ready.replayed).toBe(0);

    await page.reload();
    const again = await terminalInPage(page, { workspaceId, session: "e2e-tab", expected: "42" });
    expect(again.ready.replayed).toBeGreaterThan(0);
    expect(again.output).toMatch(/echo \$\(\(6\*7\)\)/);

    const [row] = await query<{ lastActivityAt: Date | null }>(database.url, `SELECT "lastActivityAt" FROM "Workspace" WHERE id = $1`, [workspaceId]);
    expect(row?.lastActivityAt).toBeInstanceOf(Date);
  });

  it("uses the terminal panel on the workspace page", async () => {
    await page.goto(`${podspace.url}/workspaces/${workspaceId}`);
    const tablist = page.getByRole("region", { name: "Workspace tools" }).getByRole("tablist", { name: "Terminals" });
    await tablist.waitFor();
    const status = page.getByRole("status").filter({ hasText: /Connected|Connecting|Reconnecting/ }).first();
    await page.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
    await page.locator(".xterm").first().click();
    await page.keyboard.type("echo $((6*7))");
    await page.keyboard.press("Enter");
    const rows = page.locator(".xterm-rows").first();
    await expect.poll(async () => (await rows.innerText()).split("\n").some((text) => text.trim() === "42"), { timeout: 10_000 }).toBe(true);
    await screenshot(page, "tools-terminal");

    await page.reload();
    await page.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await page.locator(".xterm-rows").first().innerText()).split("\n").some((text) => text.trim() === "42"), { timeout: 10_000 }).toBe(true);

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
    await page.locator(".xterm").first().click();
    await page.keyboard.type("echo again-$((2*3))");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await rows.innerText()).split("\n").some((text) => text.trim() === "again-6"), { timeout: 10_000 }).toBe(true);
    await page.unrouteAll();

    // A second tab, by keyboard.
    await page.getByRole("button", { name: "New terminal" }).click();
    expect(await tablist.getByRole("tab").count()).toBe(2);
    expect(await status.count()).toBeGreaterThan(0);
  });

  it("shows the IDE through the proxy, and nobody else's", async () => {
    await page.goto(`${podspace.url}/workspaces/${workspaceId}`);
    await terminalInPage(page, { workspaceId, session: "e2e-file", command: "echo hi > hello-from-terminal.txt && echo wr$((1))tten", expected: "wr1tten" });

    const response = await page.goto(`${podspace.url}/w/${workspaceId}/ide/`);
    expect(response?.status()).toBe(200);
    // The proxy opened the workspace's home.
    expect(new URL(page.url()).searchParams.get("folder")).toMatch(new RegExp(`workspaces/${workspaceId}$`));
    if (CODE_SERVER_INSTALLED) {
      // code-server's workbench lists the folder over its WebSocket, through the proxy.
      await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
      await page.getByRole("treeitem", { name: /hello-from-terminal\.txt/ }).waitFor({ timeout: 60_000 });
    } else {
      expect(await page.textContent("body")).toMatch(/"ide":"test"/);
    }
    await screenshot(page, "tools-ide");

    // The team's lead may see the workspace but not open its IDE: 404, as for no workspace at all.
    const other = await browser.newPage();
    await signIn(other, podspace.url, { provider: DEMO, account: /Lee Lead/ });
    expect((await other.goto(`${podspace.url}/w/${workspaceId}/ide/`))?.status()).toBe(404);
    await other.close();
  });
});
