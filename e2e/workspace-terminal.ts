import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { query, wakeReconciler } from "./database";
import type { PodspaceProcess } from "./harness";

// The workspace terminal as a person uses it, shared by the e2e tests that run
// it on each runtime (workspace-page.test.ts: local, kubernetes-terminal.test.ts:
// Kubernetes): seed a template and Dana's workspace, type `echo $((6*7))`, see
// 42, reload, and get the scrollback back.

/** A template spec as lib/templates/spec.ts parses it. */
export interface TemplateSeed {
  slug: string;
  name: string;
  description: string;
}

/** Inserts a template with one version, as an admin's import would; resolves with the version's id. */
export async function seedTemplate(databaseUrl: string, template: TemplateSeed): Promise<string> {
  const templateId = randomUUID();
  const versionId = randomUUID();
  await query(databaseUrl, `INSERT INTO "Template" (id, slug, name, description, tags, "updatedAt") VALUES ($1, $2, $3, $4, '{}', now())`, [
    templateId,
    template.slug,
    template.name,
    template.description,
  ]);
  await query(databaseUrl, `INSERT INTO "TemplateVersion" (id, "templateId", version, spec) VALUES ($1, $2, 1, $3)`, [
    versionId,
    templateId,
    JSON.stringify(template),
  ]);
  return versionId;
}

/**
 * Dana's workspace in the demo team, written as the create form would; the
 * server's reconciler starts it on its runtime. Resolves once it is RUNNING
 * (its terminal works; for its IDE, see waitForIdeReady).
 */
export async function seedRunningWorkspace(
  databaseUrl: string,
  podspace: PodspaceProcess,
  workspace: { id: string; templateVersionId: string; name?: string; timeoutMs?: number },
): Promise<void> {
  await query(
    databaseUrl,
    `INSERT INTO "Workspace" (id, name, "ownerId", "teamId", "templateVersionId", parameters, "updatedAt")
       SELECT $1, $4, u.id, t.id, $2, $3, now() FROM "User" u, "Team" t WHERE u.email = 'dev@podspace.dev' AND t.slug = 'demo'`,
    [workspace.id, workspace.templateVersionId, JSON.stringify({ cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} }), workspace.name ?? "tools"],
  );
  await wakeReconciler(databaseUrl, workspace.id);
  const deadline = Date.now() + (workspace.timeoutMs ?? 100_000);
  for (;;) {
    const [row] = await query<{ state: string; stateReason: string | null }>(databaseUrl, `SELECT state, "stateReason" FROM "Workspace" WHERE id = $1`, [
      workspace.id,
    ]);
    if (row?.state === "RUNNING") return;
    if (row?.state === "FAILED" || Date.now() > deadline) throw new Error(`workspace did not start: ${JSON.stringify(row)}\n${podspace.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Resolves once the workspace's IDE reported ready since its latest start.
 * A workspace is RUNNING as soon as its shell is; its IDE comes up after.
 */
export async function waitForIdeReady(databaseUrl: string, podspace: PodspaceProcess, workspaceId: string, timeoutMs = 100_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await query<{ state: string; ready: boolean }>(
      databaseUrl,
      `SELECT w.state, EXISTS (
         SELECT 1 FROM "WorkspaceEvent" e WHERE e."workspaceId" = w.id AND e.step = 'ready' AND e."createdAt" > COALESCE(
           (SELECT max(s."createdAt") FROM "WorkspaceEvent" s WHERE s."workspaceId" = w.id AND s.step = 'state' AND s.data->>'to' = 'STARTING'),
           'epoch')
       ) AS ready
       FROM "Workspace" w WHERE w.id = $1`,
      [workspaceId],
    );
    if (row?.ready) return;
    if (row?.state === "FAILED" || Date.now() > deadline) throw new Error(`the IDE did not get ready: ${JSON.stringify(row)}\n${podspace.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * In the page: opens the terminal WebSocket for `session`, optionally types
 * `command`, and resolves with the `ready` message and the output (escape
 * sequences removed) once `expected` shows up as a line.
 */
export function terminalInPage(page: Page, args: { workspaceId: string; session: string; command?: string; expected: string }) {
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

/** Over the page's own WebSocket: a new session runs the command; after a reload the same session replays it. */
export async function expectCommandAndScrollbackOverSocket(page: Page, podspace: PodspaceProcess, workspaceId: string, session: string) {
  await page.goto(`${podspace.url}/workspaces/${workspaceId}`);
  const first = await terminalInPage(page, { workspaceId, session, command: "echo $((6*7))", expected: "42" });
  expect(first.ready.replayed).toBe(0);

  await page.reload();
  const again = await terminalInPage(page, { workspaceId, session, expected: "42" });
  expect(again.ready.replayed).toBeGreaterThan(0);
  expect(again.output).toMatch(/echo \$\(\(6\*7\)\)/);
}

/** Whether the first terminal on the page shows `text` as a whole row. */
export async function terminalShowsRow(page: Page, text: string): Promise<boolean> {
  return (await page.locator(".xterm-rows").first().innerText()).split("\n").some((row) => row.trim() === text);
}

/**
 * Types `command` into the terminal panel (xterm.js) and waits for `expected`
 * as a row. The IDE beside it (code-server, when the cache has it) may take
 * the keyboard's focus as it finishes loading, in the middle of the typing:
 * then the terminal is clicked and the command typed again, up to three times.
 */
export async function typeInTerminalPanel(page: Page, command: string, expected: string) {
  for (let attempt = 1; ; attempt++) {
    await page.locator(".xterm").first().click();
    await page.keyboard.type(command);
    await page.keyboard.press("Enter");
    try {
      await expect.poll(() => terminalShowsRow(page, expected), { timeout: 5_000 }).toBe(true);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      // Whatever part of the command reached the shell is cleared before it is typed again.
      await page.locator(".xterm").first().click();
      await page.keyboard.press("Control+C");
    }
  }
}

/** The workspace page's terminal panel: type the command, see 42; reload, and 42 is still on screen. */
export async function expectCommandAndScrollbackInPanel(page: Page, podspace: PodspaceProcess, workspaceId: string) {
  await page.goto(`${podspace.url}/workspaces/${workspaceId}`);
  await page.getByRole("region", { name: "Workspace tools" }).getByRole("tablist", { name: "Terminals" }).waitFor();
  await page.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
  await typeInTerminalPanel(page, "echo $((6*7))", "42");

  await page.reload();
  await page.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
  await expect.poll(() => terminalShowsRow(page, "42"), { timeout: 10_000 }).toBe(true);
}
