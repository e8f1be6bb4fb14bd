import type { PrismaClient } from "@/lib/generated/prisma/client";
import { recordAudit } from "@/lib/audit";
import { logger } from "@/lib/observability/logger";
import { metrics } from "@/lib/observability/metrics";
import { teamQuotaRows } from "@/lib/quotas/limits";
import { WORKSPACE_HOME, type WorkspaceRuntime } from "@/lib/runtime/types";
import { templateSpec } from "@/lib/templates/spec";
import { runtimeSpecInclude, toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { formatBytes } from "./format";
import { ResticError, restic, runRestic } from "./restic";
import { backupsOffReason, backupStore, describeStore, type BackupStore } from "./store";

// Taking one backup, and restoring one into a workspace's home: restic run
// beside the home (runtime.runOnHome), the Backup row and the workspace's
// event log kept in step with it, and every outcome audited and counted.

/** restic's exit code for a snapshot made although some files could not be read. */
const INCOMPLETE_SNAPSHOT = 3;

const initialized = new Set<string>();

/** Creates the team's repository unless it exists (once per process and team). */
export async function ensureRepository(store: BackupStore, teamId: string): Promise<void> {
  const key = `${describeStore(store)} ${teamId}`;
  if (initialized.has(key)) return;
  try {
    await runRestic(restic(store, teamId, ["init"]), "Creating the team's backup repository");
  } catch (error) {
    // Another replica (or an earlier process) made it first.
    if (!(error instanceof ResticError && /already (exists|initialized)/.test(error.stderr))) throw error;
  }
  initialized.add(key);
}

/** The summary line restic backup --json ends with. */
interface BackupSummary {
  message_type: "summary";
  snapshot_id: string;
  total_files_processed: number;
  total_bytes_processed: number;
  data_added: number;
}

const isSummary = (value: unknown): value is BackupSummary =>
  typeof value === "object" && value !== null && (value as { message_type?: unknown }).message_type === "summary";

function parseLine(line: string): unknown {
  if (!line.startsWith("{")) return null;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return null;
  }
}

export interface BackupDeps {
  db: PrismaClient;
  runtime: WorkspaceRuntime;
}

/**
 * Backups whose run in this process ended without recording an outcome (the
 * database failed a write, or timed it out): their rows still say RUNNING,
 * which nothing here would ever take again, and which keeps a delete waiting
 * on them (backup-before-delete.ts) until the next leader requeues what the
 * last one left. requeueUnfinished puts them back in the queue instead.
 */
const unfinished = new Map<string, Run>();

/** One run of a backup: its startedAt, once written, tells its row from a later run's (see takeBackup). */
interface Run {
  startedAt: Date | null;
}

/** Puts the backups whose run here ended without an outcome back in the queue; a run that ended or began since keeps the row. */
export async function requeueUnfinished(db: PrismaClient): Promise<void> {
  for (const [id, run] of unfinished) {
    await db.backup.updateMany({ where: { id, status: "RUNNING", ...(run.startedAt ? { startedAt: run.startedAt } : {}) }, data: { status: "PENDING", startedAt: null } });
    unfinished.delete(id);
  }
}

/**
 * Runs the backup `backupId` (PENDING) to its end: SUCCEEDED with the
 * snapshot, or FAILED with the reason. A backup that can't run (backups off,
 * the team over its backup quota, except before a delete) fails with why. Never throws for restic's
 * or the store's failures: they are the backup's outcome. When it throws
 * (the database failed), the backup is left to requeueUnfinished.
 *
 * SUPERSEDED: the row was requeued and taken by another run meanwhile (a new
 * leader requeues what the last one left RUNNING, though a demoted leader may
 * still be running it); that run's outcome is the backup's, not this one's.
 */
export async function runBackup(backupId: string, deps: BackupDeps, signal?: AbortSignal): Promise<"SUCCEEDED" | "FAILED" | "SUPERSEDED"> {
  const run: Run = { startedAt: null };
  try {
    return await takeBackup(backupId, deps, run, signal);
  } catch (error) {
    unfinished.set(backupId, run);
    throw error;
  }
}

async function takeBackup(backupId: string, deps: BackupDeps, run: Run, signal?: AbortSignal): Promise<"SUCCEEDED" | "FAILED" | "SUPERSEDED"> {
  const { db, runtime } = deps;
  const backup = await db.backup.findUniqueOrThrow({
    where: { id: backupId },
    include: { workspace: { include: runtimeSpecInclude }, team: { select: { backupBytes: true } } },
  });
  // The caller claimed it (status RUNNING); this run's startedAt marks the row as its own until it ends.
  const startedAt = new Date();
  const { count: taken } = await db.backup.updateMany({ where: { id: backupId, status: "RUNNING" }, data: { startedAt } });
  if (taken === 0) return "SUPERSEDED";
  run.startedAt = startedAt;
  const finish = async (outcome: { snapshotId: string; files: number; bytes: number; bytesAdded: number; warning: string | null } | { error: string }) => {
    const succeeded = "snapshotId" in outcome;
    const finishedAt = new Date();
    const recorded = await db.$transaction(async (tx) => {
      // Only while the row is still this run's: a later run's outcome is never overwritten, nor taken for this one's.
      const { count } = await tx.backup.updateMany({
        where: { id: backupId, status: "RUNNING", startedAt },
        data: succeeded
          ? { status: "SUCCEEDED", finishedAt, snapshotId: outcome.snapshotId, files: outcome.files, bytes: outcome.bytes, bytesAdded: outcome.bytesAdded, error: outcome.warning }
          : { status: "FAILED", finishedAt, error: outcome.error },
      });
      if (count === 0) return false;
      await tx.workspaceEvent.create({
        data: {
          workspaceId: backup.workspaceId,
          step: "backup",
          level: succeeded ? (outcome.warning ? "WARNING" : "INFO") : "ERROR",
          message: succeeded
            ? `Backed up ${outcome.files} files, ${formatBytes(outcome.bytes)} (${formatBytes(outcome.bytesAdded)} new)${outcome.warning ? `; ${outcome.warning}` : ""}`
            : `Backup failed: ${outcome.error}`,
        },
      });
      await recordAudit(
        {
          action: succeeded ? "backup.taken" : "backup.failed",
          actorId: backup.requestedById,
          targetType: "backup",
          targetId: backupId,
          teamId: backup.teamId,
          after: succeeded
            ? { workspaceId: backup.workspaceId, reason: backup.reason, snapshotId: outcome.snapshotId, files: outcome.files, bytes: outcome.bytes, bytesAdded: outcome.bytesAdded }
            : { workspaceId: backup.workspaceId, reason: backup.reason, error: outcome.error },
        },
        tx,
      );
      return true;
    });
    if (!recorded) return "SUPERSEDED" as const;
    const result = succeeded ? "succeeded" : "failed";
    metrics.backups.inc({ operation: "backup", result });
    metrics.backupDuration.observe({ operation: "backup" }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
    if (succeeded) metrics.backupBytesAdded.inc(outcome.bytesAdded);
    return succeeded ? ("SUCCEEDED" as const) : ("FAILED" as const);
  };

  const store = backupStore();
  if (!store) return finish({ error: backupsOffReason()! });
  // The team's own limit or the platform's ceiling, whichever is lower.
  const limitGiB = (await teamQuotaRows(backup.teamId, db)).effective.backupGiB;
  // Not the last backup before a delete: refusing it would keep the workspace forever (backup-before-delete.ts).
  if (backup.reason !== "DELETE" && limitGiB !== null && backup.team.backupBytes !== null && backup.team.backupBytes > BigInt(limitGiB) * 2n ** 30n) {
    return finish({ error: `The team's backups take ${formatBytes(backup.team.backupBytes)}, over its quota of ${limitGiB} GiB` });
  }
  const excludes = templateSpec.parse(backup.workspace.templateVersion.spec).backup.exclude;
  const parent = await parentSnapshot(db, backup.workspace);
  try {
    await ensureRepository(store, backup.teamId);
    const invocation = restic(store, backup.teamId, [
      "backup", "--json", "--host", "podspace", "--tag", `workspace:${backup.workspaceId}`, "--tag", `backup:${backupId}`,
      ...(parent ? ["--parent", parent] : []),
      ...excludes.flatMap((pattern) => ["--exclude", pattern]),
      WORKSPACE_HOME,
    ]);
    let summary: BackupSummary | null = null;
    const run = await runtime.runOnHome(toRuntimeSpec(backup.workspace), {
      ...invocation,
      access: "read",
      onStdoutLine: (line) => {
        const parsed = parseLine(line);
        if (isSummary(parsed)) summary = parsed;
      },
      signal,
    });
    const done = summary as BackupSummary | null;
    if (done && (run.exitCode === 0 || run.exitCode === INCOMPLETE_SNAPSHOT)) {
      return finish({
        snapshotId: done.snapshot_id,
        files: done.total_files_processed,
        bytes: done.total_bytes_processed,
        bytesAdded: done.data_added,
        warning: run.exitCode === INCOMPLETE_SNAPSHOT ? `some files could not be read: ${run.stderr.split("\n").slice(-3).join("; ")}` : null,
      });
    }
    return finish({ error: new ResticError(run.exitCode, run.stderr, "The backup").reason });
  } catch (error) {
    logger.warn({ err: error, backupId }, "backup failed");
    return finish({ error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * The snapshot this backup compares the home with, so that only changed
 * files are read: the workspace's last one, else the one it was restored
 * from. restic would otherwise pick the team's latest snapshot of the same
 * path, another workspace's, and read and hash every file again.
 */
async function parentSnapshot(db: PrismaClient, workspace: { id: string; restoreFromId: string | null }): Promise<string | null> {
  const last = await db.backup.findFirst({
    where: { workspaceId: workspace.id, status: "SUCCEEDED", expiredAt: null },
    orderBy: { finishedAt: "desc" },
    select: { snapshotId: true },
  });
  if (last?.snapshotId) return last.snapshotId;
  if (!workspace.restoreFromId) return null;
  const source = await db.backup.findUnique({ where: { id: workspace.restoreFromId }, select: { snapshotId: true, expiredAt: true } });
  return source && !source.expiredAt ? source.snapshotId : null;
}

/**
 * Restores the snapshot of `backupId` into the workspace's home (provisioned,
 * not running): what the workspace is created from. Throws why it can't.
 */
export async function restoreInto(workspaceId: string, backupId: string, deps: BackupDeps): Promise<void> {
  const { db, runtime } = deps;
  const [workspace, backup] = await Promise.all([
    db.workspace.findUniqueOrThrow({ where: { id: workspaceId }, include: runtimeSpecInclude }),
    db.backup.findUniqueOrThrow({ where: { id: backupId }, select: { id: true, teamId: true, workspaceId: true, snapshotId: true, expiredAt: true, files: true, bytes: true } }),
  ]);
  const store = backupStore();
  if (!store) throw new Error(backupsOffReason()!);
  if (!backup.snapshotId || backup.expiredAt) throw new Error("That backup has no snapshot to restore (it failed, or expired)");
  const startedAt = Date.now();
  const run = await runtime.runOnHome(toRuntimeSpec(workspace), {
    ...restic(store, backup.teamId, ["restore", backup.snapshotId, "--target", "/"]),
    access: "write",
    onStdoutLine: () => {},
  });
  const seconds = (Date.now() - startedAt) / 1000;
  metrics.backupDuration.observe({ operation: "restore" }, seconds);
  if (run.exitCode !== 0) {
    metrics.backups.inc({ operation: "restore", result: "failed" });
    throw new ResticError(run.exitCode, run.stderr, "Restoring the backup");
  }
  metrics.backups.inc({ operation: "restore", result: "succeeded" });
  await db.$transaction(async (tx) => {
    await tx.workspace.update({ where: { id: workspaceId }, data: { restoredAt: new Date() } });
    await tx.workspaceEvent.create({
      data: { workspaceId, step: "restore", message: `Restored ${backup.files ?? 0} files, ${formatBytes(backup.bytes ?? 0n)}, from a backup, in ${seconds.toFixed(1)} s` },
    });
    await recordAudit(
      { action: "backup.restored", actorId: workspace.ownerId, targetType: "backup", targetId: backup.id, teamId: workspace.teamId, after: { from: backup.workspaceId, to: workspaceId } },
      tx,
    );
  });
}
