import { recordAudit } from "@/lib/audit";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { logger } from "@/lib/observability/logger";
import { metrics } from "@/lib/observability/metrics";
import { utcTimestamp } from "@/lib/usage/meter";
import { isRepositoryLocked, jsonLines, restic, runRestic } from "./restic";
import type { BackupStore } from "./store";

// What keeps the teams' repositories healthy and accounted for, apart from
// taking backups: forgetting the snapshots of workspaces deleted longer ago
// than their team keeps them, and, about once a day per team, checking the
// repository's integrity (restic check) and measuring its size (restic
// stats), which the team's backup quota and usage (GiB-days) are made of.
// Both take restic's exclusive lock on the repository (restic 0.14 doesn't
// wait for locks), so they run only for teams with no backup or restore
// under way (busyTeams), and a run that still meets a lock is tried again
// at a later pass, not recorded as a failure.

const DAY_MS = 24 * 60 * 60 * 1000;

/** Teams whose repository restic is using: a backup running (here or in the reconciler, before a delete), or a workspace being restored. */
export async function busyTeams(db: PrismaClient): Promise<Set<string>> {
  const [backingUp, restoring] = await Promise.all([
    db.backup.findMany({ where: { status: "RUNNING" }, select: { teamId: true }, distinct: ["teamId"] }),
    db.workspace.findMany({
      where: { state: { in: ["PENDING", "STARTING"] }, desiredState: "RUNNING", restoreFromId: { not: null }, restoredAt: null },
      select: { teamId: true },
      distinct: ["teamId"],
    }),
  ]);
  return new Set([...backingUp, ...restoring].map((row) => row.teamId));
}

/** The backups whose snapshots are past their team's retention: their workspace was deleted longer ago than it keeps them. */
export async function expiredBackups(db: PrismaClient, now: Date): Promise<{ id: string; teamId: string; workspaceId: string; snapshotId: string }[]> {
  return db.$queryRaw`
    SELECT b."id", b."teamId", b."workspaceId", b."snapshotId"
      FROM "Backup" b
      JOIN "Workspace" w ON w."id" = b."workspaceId"
      JOIN "Team" t ON t."id" = b."teamId"
     WHERE b."snapshotId" IS NOT NULL AND b."expiredAt" IS NULL
       AND w."deletedAt" < ${utcTimestamp(now)} - make_interval(days => t."backupRetentionDays")
     ORDER BY b."teamId"`;
}

/**
 * Forgets the team's `backups` from its repository (and prunes the data only
 * they held), then marks them expired and audits each. A snapshot already
 * gone (an earlier attempt forgot it but crashed before the rows were
 * marked) is no failure.
 */
export async function expireBackups(db: PrismaClient, store: BackupStore, teamId: string, backups: { id: string; workspaceId: string; snapshotId: string }[]): Promise<void> {
  const present = new Set(
    jsonLines(await runRestic(restic(store, teamId, ["snapshots", "--json"]), "Listing the team's snapshots"))
      .flat()
      .map((snapshot) => (snapshot as { short_id?: string }).short_id),
  );
  const toForget = backups.filter((backup) => present.has(backup.snapshotId)).map((backup) => backup.snapshotId);
  if (toForget.length > 0) await runRestic(restic(store, teamId, ["forget", "--prune", ...toForget]), "Forgetting expired snapshots");
  const expiredAt = new Date();
  await db.$transaction(async (tx) => {
    await tx.backup.updateMany({ where: { id: { in: backups.map((backup) => backup.id) } }, data: { expiredAt } });
    for (const backup of backups) {
      await recordAudit(
        { action: "backup.expired", actorId: null, targetType: "backup", targetId: backup.id, teamId, after: { workspaceId: backup.workspaceId, snapshotId: backup.snapshotId } },
        tx,
      );
    }
  });
  logger.info({ teamId, backups: backups.length }, "expired the backups of deleted workspaces past the team's retention");
}

/** Teams with a repository (a backup ever taken) that wasn't checked in the last day. */
export async function teamsDueForCheck(db: PrismaClient, now: Date): Promise<string[]> {
  const teams = await db.team.findMany({
    where: {
      OR: [{ backupCheckedAt: null }, { backupCheckedAt: { lte: new Date(now.getTime() - DAY_MS) } }],
      backups: { some: { status: "SUCCEEDED" } },
    },
    select: { id: true },
  });
  return teams.map((team) => team.id);
}

/**
 * Checks the team's repository and measures it. A failed check is stored on
 * the team (for /admin/health), logged and counted; the size is measured
 * either way, as it is what the quota and usage are made of. A repository
 * found locked is left for a later pass.
 */
export async function checkRepository(db: PrismaClient, store: BackupStore, teamId: string): Promise<void> {
  let checkError: string | null = null;
  try {
    await runRestic(restic(store, teamId, ["check"]), "Checking the team's backup repository");
  } catch (error) {
    if (isRepositoryLocked(error)) throw error;
    checkError = error instanceof Error ? error.message : String(error);
    logger.error({ err: error, teamId }, "a team's backup repository failed its check");
  }
  metrics.backupChecks.inc({ result: checkError ? "failed" : "passed" });
  const [stats] = jsonLines(await runRestic(restic(store, teamId, ["stats", "--mode", "raw-data", "--json"]), "Measuring the team's backup repository"));
  const bytes = BigInt((stats as { total_size?: number } | undefined)?.total_size ?? 0);
  const now = new Date();
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  await db.$transaction([
    db.team.update({ where: { id: teamId }, data: { backupCheckedAt: now, backupCheckError: checkError, backupBytes: bytes, backupMeasuredAt: now } }),
    db.backupStorageDay.upsert({ where: { teamId_day: { teamId, day } }, create: { teamId, day, bytes }, update: { bytes } }),
  ]);
}
