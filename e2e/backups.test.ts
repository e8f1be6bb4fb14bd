import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { documentedApi, type ApiCall } from "./api-client";
import { tokenFromPage } from "./api-tokens";
import { insertTemplate, query } from "./database";
import { healthCheckTemplate } from "./ide-template";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { screenshot } from "./browser";

// Backups through the browser and the API, on the local runtime with the
// default store (a folder in the server's data dir) and real restic: a
// workspace with files is backed up now, its backup browsed and a file
// downloaded, and the backup restored into a new workspace whose home has
// the files; the API lists, takes, browses and downloads the same backups.

const TEMPLATE = healthCheckTemplate("backup-ide", "Backup IDE");
const NOTES = "Remember the milk.\n";


describe("workspace backups", () => {
  const stack = usePodspaceStack();
  let page: Page;
  let api: ApiCall;
  let token: string;
  let workspaceId: string;

  /** Runs a shell command in the workspace through the API; returns its stdout. */
  async function sh(id: string, script: string): Promise<string> {
    const { status, json } = await api(token, "POST", `/workspaces/${id}/exec`, "/workspaces/{id}/exec", { command: ["sh", "-c", script] });
    expect([status, json.exitCode, json.stderr]).toEqual([200, 0, ""]);
    return json.stdout as string;
  }

  /** Creates a workspace through the API and waits until it runs; returns its id. */
  async function createRunning(body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${stack.podspace.url}/api/v1/workspaces?wait=ready`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const lines = (await response.text()).trim().split("\n").map((line) => JSON.parse(line) as { type: string; id?: string; message?: string });
    expect([response.status, lines.at(-1)?.type], JSON.stringify(lines.at(-1))).toEqual([201, "ready"]);
    return lines.at(-1)!.id!;
  }

  beforeAll(async () => {
    await insertTemplate(stack.database.url, TEMPLATE);
    page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery, so that Dana is a plain member of team demo.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    ({ api } = await documentedApi(stack.podspace.url));
    token = await tokenFromPage(page, stack.podspace.url, "backups", ["read", "workspaces:write", "exec"]);
    workspaceId = await createRunning({ name: "notebook", template: TEMPLATE.slug });
    await sh(workspaceId, `mkdir -p project/src && printf '${NOTES.replace("\n", "\\n")}' > project/notes.txt && echo 'int main() {}' > project/src/main.c`);
  });

  it("backs a workspace up now, browses the backup, downloads a file and restores it into a new workspace", async () => {
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${stack.podspace.url}/workspaces/${workspaceId}`);
    const section = page.getByRole("region", { name: "Backups" });
    await section.getByText("No backups yet").waitFor();

    // Back up now: the row shows it under way, then (the page following it) succeeded, with what it holds.
    await section.getByRole("button", { name: "Back up now" }).click();
    const row = section.getByRole("row").filter({ hasText: "Asked for by Dana Developer" });
    await row.waitFor();
    await row.getByText("Succeeded").waitFor({ timeout: 120_000 });
    expect(await row.textContent()).toMatch(/Succeeded.*\d+(\.\d+)? (B|KiB)/);
    // The backup's event is in the log, under its label.
    await page.getByRole("list", { name: "Workspace events" }).getByText(/Backed up \d+ files/).waitFor({ timeout: 30_000 });
    await screenshot(page, "backups-1-workspace");

    // Browse: the home, then a folder, then download a file from it.
    await row.getByRole("button", { name: /^Browse the backup of/ }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "project/" }).click();
    const listing = dialog.getByRole("list", { name: "Contents of ~/project" });
    await listing.getByText("notes.txt").waitFor();
    expect(await listing.getByRole("listitem").allTextContents()).toEqual([expect.stringMatching(/^src\//), expect.stringMatching(/^notes\.txt\s*19 B/)]);
    await screenshot(page, "backups-2-browse");
    const downloading = page.waitForEvent("download");
    await listing.getByRole("link", { name: "Download notes.txt" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe("notes.txt");
    expect(await fs.readFile((await download.path())!, "utf8")).toBe(NOTES);
    await page.keyboard.press("Escape");

    // Restore into a new workspace: the form says which backup, and the template is the workspace's.
    await row.getByRole("link", { name: /^Restore the backup of .* into a new workspace$/ }).click();
    await page.waitForURL(/\/workspaces\/new\?template=backup-ide&restoreFrom=/);
    await page.getByRole("note").getByText(/Its home starts as a copy of notebook's backup of \d{4}-\d\d-\d\d \d\d:\d\d UTC/).waitFor();
    await screenshot(page, "backups-3-restore-form");
    // Another template may be picked: the backup goes with it.
    await page.getByRole("main").getByRole("link", { name: "Templates" }).click();
    await page.getByText(/Pick the template to build it from; its home starts as a copy of notebook's backup/).waitFor();
    await page.getByRole("list", { name: "Templates" }).getByRole("link", { name: /Backup IDE/ }).click();
    await page.waitForURL(/\/workspaces\/new\?template=backup-ide&restoreFrom=/);
    await page.getByRole("note").getByText(/Its home starts as a copy of notebook's backup/).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("notebook-restored");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(/\/workspaces\/(?!new)[^/?]+$/);
    const restoredId = page.url().split("/").at(-1)!;
    await page.getByTestId("workspace-state").getByText("Running", { exact: true }).waitFor({ timeout: 120_000 });
    const events = page.getByRole("list", { name: "Workspace events" });
    await events.getByText(/Restored \d+ files/).waitFor({ timeout: 30_000 });
    expect(await events.getByText("Restore", { exact: true }).count()).toBeGreaterThan(0);
    await screenshot(page, "backups-4-restored");
    // Its home has the files.
    expect(await sh(restoredId, "cat project/notes.txt && ls project/src")).toBe(`${NOTES}main.c\n`);
    // Stopping it backs it up, and its page's list follows without a reload.
    await page.getByRole("button", { name: "Stop notebook-restored" }).click();
    const stopped = page.getByRole("region", { name: "Backups" }).getByRole("row").filter({ hasText: "Stopped" });
    await stopped.getByText("Succeeded").waitFor({ timeout: 120_000 });
    expect(errors).toEqual([]);

    // Downloading is audited.
    const audited = await query<{ action: string }>(stack.database.url, `SELECT action FROM "AuditLog" WHERE action = 'backup.downloaded'`);
    expect(audited).toHaveLength(1);
  });

  it("lists, takes, browses and downloads backups through the API, and restores one on create", async () => {
    const listed = await api(token, "GET", `/workspaces/${workspaceId}/backups`, "/workspaces/{id}/backups");
    expect(listed.status).toBe(200);
    const [backup] = listed.json.backups as Array<{ id: string; status: string; reason: string; files: number }>;
    expect(backup).toMatchObject({ status: "SUCCEEDED", reason: "MANUAL" });

    // Take one: 202 with the queued backup; asking again while it is under way answers the same one.
    const taken = await api(token, "POST", `/workspaces/${workspaceId}/backups`, "/workspaces/{id}/backups");
    expect([taken.status, taken.json.reason, taken.json.workspaceId]).toEqual([202, "MANUAL", workspaceId]);
    expect(["PENDING", "RUNNING", "SUCCEEDED"]).toContain(taken.json.status);

    // Browse a folder; a path out of the home is refused.
    const files = await api(token, "GET", `/backups/${backup!.id}/files?path=project`, "/backups/{id}/files");
    expect(files.status).toBe(200);
    expect(files.json.path).toBe("project");
    expect(files.json.entries.map((entry: { path: string; type: string; size: number | null }) => [entry.path, entry.type, entry.size])).toEqual([
      ["project/src", "dir", null],
      ["project/notes.txt", "file", NOTES.length],
    ]);
    const home = await api(token, "GET", `/backups/${backup!.id}/files`, "/backups/{id}/files");
    expect(home.json.entries.map((entry: { name: string }) => entry.name)).toContain("project");
    for (const escape of ["../etc", "/etc", "project/../../etc"]) {
      const refused = await api(token, "GET", `/backups/${backup!.id}/files?path=${encodeURIComponent(escape)}`, "/backups/{id}/files");
      expect([escape, refused.status, refused.json.error.message]).toEqual([escape, 422, "The path must be inside the home directory, without “..”."]);
    }
    const missing = await api(token, "GET", `/backups/${backup!.id}/files?path=nope`, "/backups/{id}/files");
    expect([missing.status, missing.json.error.message]).toEqual([404, "The backup has no nope."]);

    // Download a file as itself, a folder as a tar named after it.
    const download = (filePath: string) =>
      fetch(`${stack.podspace.url}/api/v1/backups/${backup!.id}/download?path=${encodeURIComponent(filePath)}`, { headers: { Authorization: `Bearer ${token}` } });
    const file = await download("project/notes.txt");
    expect([file.status, file.headers.get("content-disposition"), await file.text()]).toEqual([200, `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`, NOTES]);
    const folder = await download("project");
    expect([folder.status, folder.headers.get("content-type"), folder.headers.get("content-disposition")]).toEqual([
      200,
      "application/x-tar",
      `attachment; filename="project.tar"; filename*=UTF-8''project.tar`,
    ]);
    // It unpacks to the folder, as GNU tar lists it: not to the path the folder had in the snapshot.
    const tar = Buffer.from(await folder.arrayBuffer());
    const listedTar = execFileSync("tar", ["-tf", "-"], { input: tar, encoding: "utf8" });
    expect(listedTar.trim().split("\n").sort()).toEqual(["project/notes.txt", "project/src/", "project/src/main.c"]);
    expect(execFileSync("tar", ["-xOf", "-", "project/notes.txt"], { input: tar, encoding: "utf8" })).toBe(NOTES);

    // Create from it through the API: the new workspace's home starts with its files.
    const restoredId = await createRunning({ name: "notebook-api", template: TEMPLATE.slug, restoreFrom: backup!.id });
    expect(await sh(restoredId, "cat project/notes.txt")).toBe(NOTES);
    const unknown = await api(token, "POST", "/workspaces", "/workspaces", { name: "nothing", template: TEMPLATE.slug, restoreFrom: "no-such-backup" });
    expect([unknown.status, unknown.json.error.field]).toEqual([404, "restoreFrom"]);
  });

  it("keeps a deleted workspace's backups on the team page, and lets the team's admins set retention and the interval", async () => {
    // Deleting it takes a last backup first, and leaves its backups restorable.
    expect((await api(token, "DELETE", `/workspaces/${workspaceId}`, "/workspaces/{id}")).status).toBe(202);
    await expect
      .poll(async () => (await query<{ deleted: boolean }>(stack.database.url, `SELECT "deletedAt" IS NOT NULL AS deleted FROM "Workspace" WHERE id = $1`, [workspaceId]))[0]!.deleted, {
        timeout: 120_000,
      })
      .toBe(true);
    await page.goto(`${stack.podspace.url}/teams/demo`);
    const table = page.getByRole("table", { name: "Backups of deleted workspaces" });
    const rows = table.getByRole("row").filter({ hasText: "notebook" });
    // Hers: the one she asked for, the one through the API, and the last one before the delete.
    expect(await rows.count()).toBe(3);
    expect(await rows.first().textContent()).toMatch(/^notebookDana Developer.*\(deleted\)/);
    // Kept for the team's retention (30 days by default) from the deletion.
    const [{ keptUntil }] = (await query<{ keptUntil: string }>(
      stack.database.url,
      `SELECT to_char("deletedAt" + interval '30 days', 'YYYY-MM-DD') AS "keptUntil" FROM "Workspace" WHERE id = $1`,
      [workspaceId],
    )) as [{ keptUntil: string }];
    expect(await rows.first().textContent()).toContain(keptUntil);
    await rows.first().getByRole("button", { name: /^Browse notebook's backup of/ }).click();
    await page.getByRole("dialog").getByRole("list", { name: "Contents of ~/" }).getByText("project/").waitFor();
    await screenshot(page, "backups-5-team-deleted");
    await page.keyboard.press("Escape");
    await rows.first().getByRole("link", { name: /^Restore notebook's backup of .* into a new workspace$/ }).click();
    await page.waitForURL(/\/workspaces\/new\?template=backup-ide&restoreFrom=/);

    // A member sees the team's backup settings; an owner changes them, within range, audited.
    await page.goto(`${stack.podspace.url}/teams/demo/settings`);
    await page.getByText(/Running workspaces are backed up only when they stop; deleted workspaces' backups are kept 30 days/).waitFor();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.goto(`${stack.podspace.url}/teams/demo/settings`);
    const form = page.getByRole("form", { name: "Backup settings" });
    await form.getByLabel("Keep deleted workspaces' backups (days)").fill("0");
    await form.getByRole("button", { name: "Save" }).click();
    await form.getByText("Enter a whole number of days from 1 to 3650.").waitFor();
    await form.getByLabel("Keep deleted workspaces' backups (days)").fill("14");
    await form.getByLabel("Back up running workspaces every (hours)").fill("6");
    await form.getByRole("button", { name: "Save" }).click();
    await page.getByText(/Saved\. Workspaces are backed up every 6 h while they run/).first().waitFor();
    await screenshot(page, "backups-6-team-settings");
    expect(await query(stack.database.url, `SELECT "backupRetentionDays", "backupIntervalHours" FROM "Team" WHERE slug = 'demo'`)).toEqual([
      { backupRetentionDays: 14, backupIntervalHours: 6 },
    ]);
    const audited = await query<{ before: unknown; after: unknown }>(stack.database.url, `SELECT before, after FROM "AuditLog" WHERE action = 'team.backup-settings-changed'`);
    expect(audited).toEqual([{ before: { retentionDays: 30, intervalHours: null }, after: { retentionDays: 14, intervalHours: 6 } }]);

    // The team's quota caps its backups too.
    await page.goto(`${stack.podspace.url}/teams/demo/settings/quotas`);
    expect(await page.locator('tr[data-quota="backupGiB"]').textContent()).toMatch(/^Backups.*no limit/);

    // Where backups go, on the health page, and a team whose repository failed its daily check.
    await page.goto(`${stack.podspace.url}/admin/health`);
    const health = page.getByRole("row").filter({ hasText: "Workspaces' homes are backed up" });
    expect(await health.textContent()).toMatch(/^Backups\s*On\s*Workspaces' homes are backed up with restic to the folder \/.*\/backups\.$/);
    await query(stack.database.url, `UPDATE "Team" SET "backupCheckError" = 'pack 1234abcd is damaged', "backupCheckedAt" = now() WHERE slug = 'demo'`);
    await page.reload();
    expect(await health.textContent()).toMatch(/^Backups\s*Failing\s*Workspaces' homes .*Team demo's repository failed its check of .* UTC: pack 1234abcd is damaged$/);
  });

  it("says why a delete waits for a final backup that keeps failing, and lets its owner delete without one", async () => {
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    const id = await createRunning({ name: "scratch", template: TEMPLATE.slug });
    const viaApi = await createRunning({ name: "scratch-api", template: TEMPLATE.slug });
    const [{ teamId }] = (await query<{ teamId: string }>(stack.database.url, `SELECT "teamId" FROM "Workspace" WHERE id = $1`, [id])) as [{ teamId: string }];
    const skip = (workspace: string) => api(token, "DELETE", `/workspaces/${workspace}?finalBackup=skip`, "/workspaces/{id}");
    // Not before a final backup has failed.
    const early = await skip(viaApi);
    expect([early.status, early.json.error.message]).toEqual([409, "Only a workspace being deleted whose final backup failed can be deleted without one."]);
    // The team's repository loses its keys: every backup into it fails, as into a store that is gone.
    const keys = path.join(stack.podspace.dataDir, "backups", "teams", teamId, "keys");
    await fs.rename(keys, `${keys}.away`);
    try {
      expect((await api(token, "DELETE", `/workspaces/${viaApi}`, "/workspaces/{id}")).status).toBe(202);
      expect((await api(token, "DELETE", `/workspaces/${id}`, "/workspaces/{id}")).status).toBe(202);
      await page.goto(`${stack.podspace.url}/workspaces/${id}`);
      const alert = page.getByRole("alert").filter({ hasText: "Its final backup failed" });
      await alert.waitFor({ timeout: 120_000 });
      expect(await alert.textContent()).toMatch(/Backup failed: .*The workspace and its home are kept, and the backup is tried again, until one succeeds\./);
      await screenshot(page, "backups-7-final-backup-failed");
      // The terminal and the ports say what the workspace is doing, not to start it.
      expect(await page.getByRole("region", { name: "Terminal panel" }).getByRole("status").textContent()).toBe("Workspace is being deleted.");
      expect(await page.getByText("Nothing listens while the workspace isn't running.").isVisible()).toBe(true);

      await alert.getByRole("button", { name: "Delete scratch without a final backup" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByText(/whatever was written in it since its last backup is lost/).waitFor();
      await dialog.getByLabel(/Type scratch to confirm/).fill("scratch");
      await dialog.getByRole("button", { name: "Delete without a backup" }).click();
      await page.waitForURL(`${stack.podspace.url}/workspaces`);
      const deleted = async (workspace: string) =>
        (await query<{ deleted: boolean }>(stack.database.url, `SELECT "deletedAt" IS NOT NULL AS deleted FROM "Workspace" WHERE id = $1`, [workspace]))[0]!.deleted;
      await expect.poll(() => deleted(id), { timeout: 60_000 }).toBe(true);

      // The same through the API, audited as the page's is.
      const finalBackupFailed = async () =>
        (await query(stack.database.url, `SELECT 1 FROM "Backup" WHERE "workspaceId" = $1 AND reason = 'DELETE' AND status = 'FAILED'`, [viaApi])).length > 0;
      await expect.poll(finalBackupFailed, { timeout: 120_000 }).toBe(true);
      // Its page, open in another tab meanwhile, follows it to the end and says so.
      const other = await stack.browser.newPage();
      await other.goto(`${stack.podspace.url}/workspaces/${viaApi}`);
      await other.getByRole("alert").filter({ hasText: "Its final backup failed" }).waitFor();
      const skipped = await skip(viaApi);
      expect([skipped.status, skipped.json.desiredState]).toEqual([202, "DELETED"]);
      expect(await query(stack.database.url, `SELECT via FROM "AuditLog" WHERE action = 'workspace.final-backup-skipped' AND "targetId" = $1`, [viaApi])).toEqual([{ via: "token backups" }]);
      await expect.poll(() => deleted(viaApi), { timeout: 60_000 }).toBe(true);
      await other.getByText("This workspace was deleted.").waitFor({ timeout: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect([await other.getByText("This workspace was deleted.").isVisible(), await other.getByText(/not found/i).count()]).toEqual([true, 0]);
      await other.close();
    } finally {
      await fs.rename(`${keys}.away`, keys);
    }
  });
});
