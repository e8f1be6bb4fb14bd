import { Prisma } from "@/lib/generated/prisma/client";
import { periodicPass, type PeriodicPass } from "@/lib/server/periodic-pass";
import { getBackgroundDb } from "@/lib/db/client";
import { meterWorkspace, utcTimestamp, wholeSecond } from "./meter";
import { rollUpUsage } from "./rollup";

// The usage loop, on the elected leader (see server.ts): every pass first
// repairs metering against the workspaces' states, then rolls the intervals
// up (rollup.ts: what is due, not every interval).
//
// Metering already happens in the transaction of each state change, so the
// repair is a safety net for writes that bypass the meter, and it costs what
// changed, not the fleet:
// - Every pass looks only at the workspaces whose state changed since the
//   previous repair (through the index on stateChangedAt), less a margin for
//   transactions that committed late and for other replicas' clocks: a state
//   written by a replica still running a version without metering during a
//   rolling upgrade, or by hand in SQL with its stateChangedAt.
// - A full repair (every workspace, and intervals whose workspace row is
//   gone) runs at the first pass of each leadership and then daily. That is
//   enough for the rest: workspaces from before metering existed are found
//   by the first pass after the upgrade that brought it (the upgrade restarts
//   the leader), and a state or workspace row changed in SQL without
//   stateChangedAt is unmetered for a day at most.

export type UsageLoop = PeriodicPass<{ repaired: number; rolledUp: number }>;

const PASS_INTERVAL_MS = 60_000;
const FULL_REPAIR_INTERVAL_MS = 24 * 60 * 60_000;
/** Well over the longest transaction that changes a state (15 s) plus the clock skew between replicas. */
const REPAIR_MARGIN_MS = 5 * 60_000;
const METER_TRANSACTION = { maxWait: 30_000, timeout: 15_000 } as const;

/**
 * Makes the workspaces' open intervals match their states: closes what a
 * stopped, failed or deleted workspace still holds (at the time its state
 * changed) and opens what a running or existing one lacks. With
 * `changedSince`, only workspaces whose state changed at or after it; without,
 * every workspace, and intervals of workspace rows that no longer exist end
 * now. Returns how many workspaces (and orphaned intervals) it repaired.
 */
export async function reconcileUsage(now: Date, changedSince?: Date): Promise<number> {
  const db = getBackgroundDb();
  const scope = changedSince ? Prisma.sql`w."stateChangedAt" >= ${utcTimestamp(changedSince)}` : Prisma.sql`TRUE`;
  // Per workspace, whether it should hold each kind against whether it has
  // one open; the open intervals are probed through their partial unique index.
  const mismatched = await db.$queryRaw<{ id: string }[]>`
    SELECT w."id" FROM "Workspace" w
     WHERE ${scope}
       AND ((w."state" <> 'DELETED') <> EXISTS (
              SELECT 1 FROM "UsageInterval" u WHERE u."workspaceId" = w."id" AND u."kind" = 'STORAGE' AND u."endedAt" IS NULL)
         OR (w."state" IN ('STARTING', 'RUNNING')) <> EXISTS (
              SELECT 1 FROM "UsageInterval" u WHERE u."workspaceId" = w."id" AND u."kind" = 'COMPUTE' AND u."endedAt" IS NULL))`;
  for (const { id } of mismatched) {
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "Workspace" WHERE "id" = ${id} FOR UPDATE`;
      const workspace = await tx.workspace.findUnique({ where: { id }, select: { stateChangedAt: true } });
      if (workspace) await meterWorkspace(tx, id, { now, closedAt: workspace.stateChangedAt });
    }, METER_TRANSACTION);
  }
  if (changedSince) return mismatched.length;
  // Intervals of workspace rows that no longer exist end now: nothing holds their resources any more.
  const orphans = await db.$executeRaw`
    UPDATE "UsageInterval" u SET "endedAt" = GREATEST(${utcTimestamp(wholeSecond(now))}, u."startedAt", u."rolledUpUntil")
     WHERE u."endedAt" IS NULL AND NOT EXISTS (SELECT 1 FROM "Workspace" w WHERE w."id" = u."workspaceId")`;
  return mismatched.length + orphans;
}

export function createUsageLoop(options: { now?: () => Date; intervalMs?: number } = {}): UsageLoop {
  const clock = options.now ?? (() => new Date());
  /** This leadership's repairs: when the last full one and the last one of either kind began; null before the first succeeds. */
  let repairs: { full: Date; last: Date } | null = null;

  async function repair(now: Date): Promise<number> {
    const previous = repairs;
    const incremental = previous !== null && now.getTime() - previous.full.getTime() < FULL_REPAIR_INTERVAL_MS;
    const repaired = await reconcileUsage(now, incremental ? new Date(previous.last.getTime() - REPAIR_MARGIN_MS) : undefined);
    repairs = { full: incremental ? previous.full : now, last: now };
    return repaired;
  }

  async function pass() {
    const now = clock();
    const repaired = await repair(now);
    const rolledUp = await rollUpUsage(getBackgroundDb(), now);
    return { repaired, rolledUp };
  }

  const loop = periodicPass("usage", pass, options.intervalMs ?? PASS_INTERVAL_MS);
  return {
    ...loop,
    start() {
      // A new leader can't know what happened while another led (or none did): it begins with a full repair.
      repairs = null;
      loop.start();
    },
  };
}
