import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackupLoop, type BackupLoop } from "@/lib/backups/backup-loop";
import { runBackup } from "@/lib/backups/backup-workspace";
import { requestBackup } from "@/lib/backups/request-backup";
import { jsonLines, restic, runRestic } from "@/lib/backups/restic";
import { backupStore } from "@/lib/backups/store";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import type { BackupReason, WorkspaceState } from "@/lib/generated/prisma/enums";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import { periodOf } from "@/lib/usage/period";
import { usageReport } from "@/lib/usage/report";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createWorkspace } from "@/lib/workspaces/create-workspace";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { runtimeSpecInclude, toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";
import { endLocalWorkspaces, workspaceProcesses } from "../helpers/local-workspaces";
import { freePort } from "../helpers/net";
import { backupEnvFor, startS3Server, type TestS3Server } from "../helpers/s3-server";
import { TEST_TEMPLATE } from "../helpers/test-template";
import { TEST_SHARED_PATHS } from "../runtime/contract";

// Backups through a workspace's life, on a real database with the reconciler
// and the backup loop driving the real local runtime, restic storing into a
// real S3-protocol server: a workspace is backed up when it stops, on its
// team's schedule and before it is deleted, a new one restored from that is
// the same, a delete waits for its backup to succeed, a deleted workspace's
// snapshots go once the team's retention is over, and a backup killed midway
// or left running by a crash harms nothing.

useAppDatabase();

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

describe("workspace backups through the lifecycle", { timeout: 120_000 }, () => {
  let dataDir: string;
  let s3: TestS3Server;
  let runtime: WorkspaceRuntime;
  let reconciler: Reconciler;
  let backups: BackupLoop;
  let teamId: string;
  let owner: Awaited<ReturnType<typeof actorFor>>;
  let outsider: Awaited<ReturnType<typeof actorFor>>;
  /** The workspace of the first test, deleted there. */
  let deletedId: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    // lib/env.ts read the environment at import; the backup store is read from env at each use.
    Object.assign(env, backupEnvFor(s3, "lifecycle"));
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-backup-lifecycle-"));
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    reconciler = createReconciler(runtime, { intervalMs: 300, retryDelayMs: 300 });
    backups = createBackupLoop(runtime, { intervalMs: 500, upkeepIntervalMs: 0 });
    backups.start();
    reconciler.start();
    const [ownerUser, outsiderUser] = await Promise.all([createUser("owner@backups.test"), createUser("outsider@backups.test")]);
    teamId = (await createTeamWith("backups", [[ownerUser, "MEMBER"]])).id;
    await createTeamWith("elsewhere", [[outsiderUser, "OWNER"]]);
    await getDb().template.create({ data: { slug: "test", name: "Test", versions: { create: { version: 1, spec: TEST_TEMPLATE as object } } } });
    [owner, outsider] = await Promise.all([actorFor(ownerUser), actorFor(outsiderUser)]);
  });
  afterAll(async () => {
    await reconciler?.stop();
    await backups?.stop();
    await runtime?.close();
    await endLocalWorkspaces(dataDir);
    await s3?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const create = (name: string, restoreFrom?: string) => createWorkspace(owner, { name, teamId, templateSlug: "test", gitRepository: undefined, parameters: {}, restoreFrom });
  const operate = (workspaceId: string, operation: "start" | "stop") => operateWorkspace(owner, { workspaceId, operation });
  const remove = (workspaceId: string, name: string) => operateWorkspace(owner, { workspaceId, operation: "delete", confirmName: name });
  const home = (id: string) => path.join(dataDir, "workspaces", id);
  /** The workspace's state; a failure with its message, so that a test that meets one says why. */
  const stateOf = async (id: string) => {
    const { state } = await getDb().workspace.findUniqueOrThrow({ where: { id } });
    if (state !== "FAILED") return state;
    const error = await getDb().workspaceEvent.findFirst({ where: { workspaceId: id, level: "ERROR" }, orderBy: { createdAt: "desc" } });
    return `FAILED: ${error?.message ?? "no error event"}`;
  };
  const waitFor = (id: string, state: WorkspaceState) => expect.poll(() => stateOf(id), { timeout: 60_000, interval: 100 }).toBe(state);

  /** Runs a shell script in the running workspace, as its user. */
  async function shell(id: string, script: string) {
    const spec = toRuntimeSpec(await getDb().workspace.findUniqueOrThrow({ where: { id }, include: runtimeSpecInclude }));
    let stderr = "";
    const result = await runtime.exec(spec, { command: ["/bin/sh", "-c", script], onStdout: () => {}, onStderr: (chunk) => (stderr += chunk.toString()), timeoutMs: 30_000 });
    expect(result.exitCode, stderr).toBe(0);
  }

  /** The workspace's latest backup for `reason` once it has ended, with its error if it failed. */
  async function endedBackup(workspaceId: string, reason: BackupReason) {
    const latest = () => getDb().backup.findFirst({ where: { workspaceId, reason }, orderBy: { createdAt: "desc" } });
    await expect.poll(async () => (await latest())?.status, { timeout: 60_000, interval: 100 }).toMatch(/SUCCEEDED|FAILED/);
    return (await latest())!;
  }

  /**
   * The workspace's first failed final backup, once there is one. Not the
   * latest: a failed one is retried at once, and the retry's row, running
   * for as long as restic keeps trying the store (seconds), is the latest.
   */
  async function failedFinalBackup(workspaceId: string) {
    const failed = () => getDb().backup.findFirst({ where: { workspaceId, reason: "DELETE", status: "FAILED" }, orderBy: { createdAt: "asc" } });
    await expect.poll(failed, { timeout: 60_000, interval: 100 }).not.toBeNull();
    return (await failed())!;
  }

  /** What a folder holds, by relative path: each entry's type, permissions, and content or link target. */
  async function tree(root: string): Promise<Record<string, string>> {
    const entries: Record<string, string> = {};
    for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
      const full = path.join(entry.parentPath, entry.name);
      const stat = await fs.lstat(full);
      const mode = (stat.mode & 0o7777).toString(8);
      entries[path.relative(root, full)] = entry.isSymbolicLink()
        ? `symlink -> ${await fs.readlink(full)}`
        : entry.isDirectory()
          ? `directory ${mode}`
          : `file ${mode} ${await fs.readFile(full, "utf8")}`;
    }
    return entries;
  }

  const snapshotIds = async () =>
    jsonLines(await runRestic(restic(backupStore()!, teamId, ["snapshots", "--json"]), "Listing the team's snapshots"))
      .flat()
      .map((snapshot) => (snapshot as { short_id: string }).short_id);

  it("backs a workspace up when it stops and before it is deleted, and restores it into a new one as it was", async () => {
    const { id } = await create("original");
    deletedId = id;
    await waitFor(id, "RUNNING");
    await shell(
      id,
      "mkdir -p project/src project/empty && printf 'one\\n' > project/src/a.txt && printf '#!/bin/sh\\necho run\\n' > project/run.sh && chmod 750 project/run.sh && ln -s src/a.txt project/link && chmod 700 project/empty",
    );

    await operate(id, "stop");
    await waitFor(id, "STOPPED");
    const stopBackup = await endedBackup(id, "STOP");
    expect(stopBackup, stopBackup.error ?? "").toMatchObject({ status: "SUCCEEDED", snapshotId: expect.stringMatching(/^[0-9a-f]{8}$/) });

    // Work done after that backup is in the one taken before the delete.
    await operate(id, "start");
    await waitFor(id, "RUNNING");
    await shell(id, "printf 'two\\n' > project/src/b.txt && chmod 600 project/src/b.txt && mkdir project/later && ln -s ../missing project/dangling");
    const before = await tree(path.join(home(id), "project"));
    expect(Object.keys(before)).toHaveLength(8);

    await remove(id, "original");
    await waitFor(id, "DELETED");
    await expect(fs.access(home(id))).rejects.toThrow();
    const deleted = await getDb().workspace.findUniqueOrThrow({ where: { id } });
    const deleteBackup = await getDb().backup.findFirstOrThrow({ where: { workspaceId: id, reason: "DELETE", status: "SUCCEEDED" } });
    expect(deleteBackup.finishedAt!.getTime()).toBeLessThanOrEqual(deleted.deletedAt!.getTime());
    expect((await auditLogFor(deleteBackup.id)).map((entry) => entry.action)).toContain("backup.taken");

    const restored = await create("restored", deleteBackup.id);
    await waitFor(restored.id, "RUNNING");
    expect(await tree(path.join(home(restored.id), "project"))).toEqual(before);
  });

  it("checks and measures the team's repository, counting its size in the day's storage", async () => {
    await expect.poll(async () => (await getDb().team.findUniqueOrThrow({ where: { id: teamId } })).backupCheckedAt, { timeout: 60_000 }).not.toBeNull();
    const team = await getDb().team.findUniqueOrThrow({ where: { id: teamId }, include: { backupStorageDays: true } });
    expect(team.backupCheckError).toBeNull();
    expect(team.backupBytes).toBeGreaterThan(0n);
    expect(team.backupStorageDays.map((day) => day.bytes)).toEqual([team.backupBytes]);
    // The team's usage counts it, in GiB-days.
    const { totals } = await usageReport(teamId, periodOf({ period: "30d", by: "user" }), "user");
    expect(totals.backupGiBDays).toBeCloseTo(Number(team.backupBytes) / 2 ** 30, 12);
  });

  it("keeps a workspace whose final backup fails, home and all, DELETING and stopped until the store is back", async () => {
    const { id } = await create("unlucky");
    await waitFor(id, "RUNNING");
    await shell(id, "echo keep > keep.txt");

    const endpoint = env.PODSPACE_BACKUP_S3_ENDPOINT;
    env.PODSPACE_BACKUP_S3_ENDPOINT = `https://127.0.0.1:${await freePort()}`;
    try {
      await remove(id, "unlucky");
      await failedFinalBackup(id);
      expect(await stateOf(id)).toBe("DELETING");
      // Nothing of it runs while it waits: not its processes, nor their claim on compute.
      const spec = toRuntimeSpec(await getDb().workspace.findUniqueOrThrow({ where: { id }, include: runtimeSpecInclude }));
      expect((await runtime.status(spec)).state).toBe("stopped");
      expect(await workspaceProcesses(id)).toEqual([]);
      expect(await fs.readFile(path.join(home(id), "keep.txt"), "utf8")).toBe("keep\n");
      const events = await getDb().workspaceEvent.findMany({ where: { workspaceId: id, step: "backup", level: "ERROR" } });
      expect(events[0]?.message).toMatch(/^Backup failed: \S/);
      // Said once: not "Backup failed: The backup failed (…)".
      expect(events[0]?.message).not.toMatch(/The backup failed/);
    } finally {
      env.PODSPACE_BACKUP_S3_ENDPOINT = endpoint;
    }

    await waitFor(id, "DELETED");
    const taken = await getDb().backup.findFirstOrThrow({ where: { workspaceId: id, reason: "DELETE", status: "SUCCEEDED" } });
    expect(await snapshotIds()).toContain(taken.snapshotId);
  });

  it("deletes one whose final backup failed without it, when someone who may delete it confirms, audited", async () => {
    const { id } = await create("abandoned");
    await waitFor(id, "RUNNING");
    const skip = (actor: typeof owner, confirmName = "abandoned") => operateWorkspace(actor, { workspaceId: id, operation: "delete-without-backup", confirmName });
    // Not while a delete would still take its backup.
    await expect(skip(owner)).rejects.toMatchObject({ code: "conflict" });

    const endpoint = env.PODSPACE_BACKUP_S3_ENDPOINT;
    env.PODSPACE_BACKUP_S3_ENDPOINT = `https://127.0.0.1:${await freePort()}`;
    try {
      await remove(id, "abandoned");
      await failedFinalBackup(id);
      await expect(skip(outsider)).rejects.toMatchObject({ code: "not_found" });
      await expect(skip(owner, "wrong")).rejects.toMatchObject({ code: "invalid", field: "confirmName" });
      await skip(owner);
      // With the store still away: deleted all the same, its home with it.
      await waitFor(id, "DELETED");
      await expect(fs.access(home(id))).rejects.toThrow();
    } finally {
      env.PODSPACE_BACKUP_S3_ENDPOINT = endpoint;
    }
    expect(await getDb().backup.count({ where: { workspaceId: id, reason: "DELETE", status: "SUCCEEDED" } })).toBe(0);
    const audited = await getDb().auditLog.findMany({ where: { targetId: id }, orderBy: { createdAt: "asc" }, select: { action: true, actorId: true } });
    expect(audited.map((entry) => entry.action)).toEqual(["workspace.created", "workspace.delete-requested", "workspace.final-backup-skipped"]);
  });

  it("refuses a backup of a deleted workspace, and of one the actor may not operate", async () => {
    await expect(requestBackup(owner, deletedId)).rejects.toMatchObject({ code: "invalid" });
    const { id } = await create("private");
    await expect(requestBackup(outsider, id)).rejects.toMatchObject({ code: "not_found" });
    expect(await getDb().backup.count({ where: { workspaceId: id } })).toBe(0);
  });

  it("backs a running workspace up on the team's schedule, once per interval", async () => {
    const { id } = await getDb().workspace.findFirstOrThrow({ where: { teamId, name: "private" } });
    await waitFor(id, "RUNNING");
    await getDb().team.update({ where: { id: teamId }, data: { backupIntervalHours: 1 } });
    await getDb().workspace.update({ where: { id }, data: { startedAt: new Date(Date.now() - 2 * HOUR_MS) } });
    try {
      const scheduled = await endedBackup(id, "SCHEDULE");
      expect(scheduled, scheduled.error ?? "").toMatchObject({ status: "SUCCEEDED", requestedById: null });
      // Backed up within the hour: not again.
      await backups.runOnce();
      await backups.runOnce();
      expect(await getDb().backup.count({ where: { workspaceId: id, reason: "SCHEDULE" } })).toBe(1);
    } finally {
      await getDb().team.update({ where: { id: teamId }, data: { backupIntervalHours: null } });
    }
  });

  it("takes a backup still in the queue as the delete's own, over the team's backup quota too", async () => {
    const { id } = await create("queued");
    await waitFor(id, "RUNNING");
    await shell(id, "echo queued > queued.txt");
    const { backupBytes } = await getDb().team.findUniqueOrThrow({ where: { id: teamId } });
    // The loop away, the stop's backup waits in the queue; the team is over its quota, which a backup before a delete ignores.
    await backups.stop();
    await getDb().teamQuota.create({ data: { teamId, scope: "LIMIT", backupGiB: 1 } });
    await getDb().team.update({ where: { id: teamId }, data: { backupBytes: 2n ** 31n } });
    try {
      await operate(id, "stop");
      await waitFor(id, "STOPPED");
      const queued = await getDb().backup.findFirstOrThrow({ where: { workspaceId: id, reason: "STOP", status: "PENDING" } });
      await remove(id, "queued");
      await waitFor(id, "DELETED");
      const taken = await getDb().backup.findUniqueOrThrow({ where: { id: queued.id } });
      expect(taken, taken.error ?? "").toMatchObject({ status: "SUCCEEDED", reason: "DELETE" });
      expect(await getDb().backup.count({ where: { workspaceId: id } })).toBe(1);
    } finally {
      await getDb().teamQuota.deleteMany({ where: { teamId } });
      await getDb().team.update({ where: { id: teamId }, data: { backupBytes } });
      backups.start();
    }
  });

  it("forgets the snapshots of a workspace deleted longer ago than the team keeps them, and only those", async () => {
    const expiring = await getDb().backup.findMany({ where: { workspaceId: deletedId, status: "SUCCEEDED" } });
    const kept = await getDb().backup.findMany({ where: { workspaceId: { not: deletedId }, status: "SUCCEEDED" } });
    expect(expiring).toHaveLength(2);
    expect(kept.length).toBeGreaterThan(0);
    await getDb().workspace.update({ where: { id: deletedId }, data: { deletedAt: new Date(Date.now() - 31 * DAY_MS) } });

    await expect
      .poll(() => getDb().backup.count({ where: { id: { in: expiring.map((backup) => backup.id) }, expiredAt: null } }), { timeout: 60_000, interval: 200 })
      .toBe(0);
    const remaining = await snapshotIds();
    for (const backup of expiring) {
      expect(remaining).not.toContain(backup.snapshotId);
      expect(await auditLogFor(backup.id)).toContainEqual(expect.objectContaining({ action: "backup.expired", actorId: null }));
    }
    for (const backup of kept) expect(remaining).toContain(backup.snapshotId);
    expect(await getDb().backup.count({ where: { id: { in: kept.map((backup) => backup.id) }, expiredAt: { not: null } } })).toBe(0);
  });

  it("leaves the previous snapshot restorable when a backup is killed midway, and takes the next one", async () => {
    const { id } = await create("big");
    await waitFor(id, "RUNNING");
    await shell(id, "echo before > before.txt");
    await operate(id, "stop");
    await waitFor(id, "STOPPED");
    const previous = await endedBackup(id, "STOP");
    expect(previous.status).toBe("SUCCEEDED");

    // Enough data that doesn't compress or deduplicate for the backup to upload a few packs, one at a time.
    await fs.writeFile(path.join(home(id), "big.bin"), randomBytes(64 << 20), { mode: 0o644 });
    const packs = async () => (await fs.readdir(s3.directory, { recursive: true })).filter((file) => file.includes(`teams/${teamId}/data/`)).length;
    const packsBefore = await packs();
    const killed = await getDb().backup.create({ data: { workspaceId: id, teamId, reason: "MANUAL", status: "RUNNING", startedAt: new Date() } });
    const abort = new AbortController();
    const outcome = runBackup(killed.id, { db: getDb(), runtime }, abort.signal);
    // Killed once it has started uploading the new data.
    await expect.poll(packs, { timeout: 60_000, interval: 20 }).toBeGreaterThan(packsBefore);
    abort.abort();
    expect(await outcome).toBe("FAILED");

    const target = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-restored-"));
    try {
      await runRestic(restic(backupStore()!, teamId, ["restore", previous.snapshotId!, "--target", target]), "Restoring the previous snapshot");
      const restored = path.join(target, "home", "coder");
      expect(await fs.readFile(path.join(restored, "before.txt"), "utf8")).toBe("before\n");
      await expect(fs.access(path.join(restored, "big.bin"))).rejects.toThrow();
    } finally {
      await fs.rm(target, { recursive: true, force: true });
    }

    // Asked twice at once, taken once.
    const [first, second] = await Promise.all([requestBackup(owner, id), requestBackup(owner, id)]);
    expect(second).toEqual(first);
    const next = await endedBackup(id, "MANUAL");
    expect(next.id).toBe(first.id);
    expect(next, next.error ?? "").toMatchObject({ status: "SUCCEEDED", requestedById: owner.id });
    expect(next.bytes).toBeGreaterThan(64n << 20n);
  });

  it("re-runs a backup a crashed Podspace left running, once the loop starts again", async () => {
    const { id } = await getDb().workspace.findFirstOrThrow({ where: { teamId, name: "big" } });
    const abandoned = await getDb().backup.create({
      data: { workspaceId: id, teamId, reason: "SCHEDULE", status: "RUNNING", startedAt: new Date(Date.now() - HOUR_MS) },
    });
    await backups.stop();
    backups.start();
    await expect.poll(async () => (await getDb().backup.findUniqueOrThrow({ where: { id: abandoned.id } })).status, { timeout: 60_000, interval: 100 }).toBe("SUCCEEDED");
  });
});
