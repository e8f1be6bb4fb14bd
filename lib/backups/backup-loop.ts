import { getBackgroundDb } from "@/lib/db/client";
import { logger } from "@/lib/observability/logger";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { periodicPass, type PeriodicPass } from "@/lib/server/periodic-pass";
import { utcTimestamp } from "@/lib/usage/meter";
import { requeueUnfinished, runBackup } from "./backup-workspace";
import { registerBackupLoop } from "./backup-trigger";
import { claimBackup } from "./queue";
import { backupStore, type BackupStore } from "./store";
import { isRepositoryLocked } from "./restic";
import { busyTeams, checkRepository, expireBackups, expiredBackups, teamsDueForCheck } from "./upkeep";

// Takes the backups in the queue (PENDING rows, lib/backups/queue.ts) on the
// leader: the oldest first, a few at a time, each running on past the pass
// that started it; a pass comes when one is enqueued (wakeBackups), when one
// ends, and every minute. A pass also enqueues the scheduled backups of
// running workspaces and, every few minutes, does the repositories' upkeep
// (upkeep.ts) before starting backups, for the teams restic isn't busy with,
// as its exclusive lock would make the upkeep and their backups fail each
// other.

export interface BackupLoop extends PeriodicPass<void> {
  /** A pass soon, without waiting for it. */
  wake(): void;
}

export interface BackupLoopOptions {
  intervalMs?: number;
  /** Between two upkeeps (retention, the daily checks): their queries read every unexpired backup. */
  upkeepIntervalMs?: number;
}

const PASS_INTERVAL_MS = 60_000;
/** Backups at once: restic reads and hashes the whole home and compresses what's new, heavy on CPU and disk alike. */
const CONCURRENCY = 2;
const UPKEEP_INTERVAL_MS = 10 * 60_000;

export function createBackupLoop(runtime: WorkspaceRuntime, options: BackupLoopOptions = {}): BackupLoop {
  const db = getBackgroundDb();
  /** The backups this loop is running, by id: each one's end. */
  const running = new Map<string, Promise<void>>();
  /** Backups left RUNNING before this time were a crashed (or demoted) process's; set at each start. */
  let startedAt: Date | null = null;
  let requested = false;
  let lastUpkeep = -Infinity;
  /** Between start and stop: a backup that ends wakes the loop only then. */
  let active = false;

  /**
   * Puts the backups a crashed process left RUNNING back in the queue:
   * restic commits a snapshot only at its end, so the repository still has
   * the previous one, and the next run is a whole backup again.
   */
  async function requeueAbandoned(since: Date) {
    const { count } = await db.backup.updateMany({ where: { status: "RUNNING", startedAt: { lt: since } }, data: { status: "PENDING", startedAt: null } });
    if (count > 0) logger.warn({ backups: count }, "re-running backups an earlier Podspace process left unfinished");
  }

  /**
   * Enqueues a SCHEDULE backup of each running workspace whose team backs up
   * every few hours and whose last backup (taken or in the queue), or else
   * its start, is older than that: one query on the running workspaces
   * (index state, desiredState), each looking up its latest backups
   * (index workspaceId, createdAt).
   */
  async function enqueueScheduled(now: Date) {
    const due = await db.$queryRaw<{ id: string; teamId: string }[]>`
      SELECT w."id", w."teamId"
        FROM "Workspace" w
        JOIN "Team" t ON t."id" = w."teamId"
       WHERE w."state" = 'RUNNING' AND w."desiredState" = 'RUNNING' AND w."warmPoolId" IS NULL
         AND t."backupIntervalHours" IS NOT NULL
         AND w."startedAt" <= ${utcTimestamp(now)} - make_interval(hours => t."backupIntervalHours")
         AND NOT EXISTS (
               SELECT 1 FROM "Backup" b
                WHERE b."workspaceId" = w."id"
                  AND (b."status" IN ('PENDING', 'RUNNING')
                       OR (b."status" = 'SUCCEEDED' AND b."createdAt" > ${utcTimestamp(now)} - make_interval(hours => t."backupIntervalHours"))))`;
    if (due.length === 0) return;
    await db.backup.createMany({ data: due.map((workspace) => ({ workspaceId: workspace.id, teamId: workspace.teamId, reason: "SCHEDULE" as const })) });
  }

  /** Retention, then the daily check and measure, for the teams restic isn't busy with; a team's failure is its own. */
  async function upkeep(store: BackupStore, now: Date) {
    const busy = await busyTeams(db);
    const failed = (what: string, teamId: string) => (error: unknown) =>
      isRepositoryLocked(error) ? logger.info({ teamId }, `${what}: the repository is locked; next pass`) : logger.error({ err: error, teamId }, `${what} failed`);
    const expired = Map.groupBy(await expiredBackups(db, now), (backup) => backup.teamId);
    for (const [teamId, backups] of expired) {
      if (!busy.has(teamId)) await expireBackups(db, store, teamId, backups).catch(failed("expiring a team's old backups", teamId));
    }
    for (const teamId of await teamsDueForCheck(db, now)) {
      if (!busy.has(teamId)) await checkRepository(db, store, teamId).catch(failed("checking a team's backup repository", teamId));
    }
  }

  /** Starts the oldest PENDING backups, as many as there are free slots. */
  async function dispatch() {
    const free = CONCURRENCY - running.size;
    if (free <= 0) return;
    const next = await db.backup.findMany({
      where: { status: "PENDING", id: { notIn: [...running.keys()] } },
      orderBy: { createdAt: "asc" },
      take: free,
      select: { id: true },
    });
    for (const backup of next) {
      // The reconciler may have taken it first, to run it before a delete.
      if (!(await claimBackup(db, backup.id))) continue;
      const done = runBackup(backup.id, { db, runtime })
        .then(() => {}, (error: unknown) => logger.error({ err: error, backupId: backup.id }, "running a backup failed"))
        .finally(() => {
          running.delete(backup.id);
          wake();
        });
      running.set(backup.id, done);
    }
  }

  async function pass() {
    requested = false;
    if (startedAt) {
      await requeueAbandoned(startedAt);
      startedAt = null;
    }
    await requeueUnfinished(db);
    const store = backupStore();
    // With backups off, the queue is still run: each backup fails, saying why, instead of waiting forever.
    if (store) {
      const now = new Date();
      await enqueueScheduled(now);
      if (now.getTime() - lastUpkeep >= (options.upkeepIntervalMs ?? UPKEEP_INTERVAL_MS)) {
        lastUpkeep = now.getTime();
        await upkeep(store, now);
      }
    }
    await dispatch();
  }

  const loop = periodicPass("backups", pass, options.intervalMs ?? PASS_INTERVAL_MS);
  function wake() {
    if (!active || requested) return;
    requested = true;
    void loop.runOnce().catch((error: unknown) => logger.error({ err: error }, "backup pass failed"));
  }
  /** Resolves once no backup this loop started is running. */
  async function settled() {
    while (running.size > 0) await Promise.all(running.values());
  }

  return {
    ...loop,
    wake,
    start() {
      active = true;
      startedAt = new Date();
      registerBackupLoop(wake);
      loop.start();
    },
    // The backups under way are waited for, not killed: a replica that
    // exits before they end leaves them RUNNING, for the next leader to re-run.
    async stop() {
      active = false;
      registerBackupLoop(undefined);
      await loop.stop();
      await settled();
    },
  };
}
