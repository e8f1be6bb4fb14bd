import { periodicPass, type PeriodicPass } from "@/lib/server/periodic-pass";
import { getBackgroundDb } from "@/lib/db/client";
import { meterWorkspace, utcTimestamp, wholeSecond } from "./meter";
import { rollUpUsage } from "./rollup";

// The usage loop, on the elected leader (see server.ts): every pass first
// repairs metering against the workspaces' states, then rolls the intervals
// up. Metering already happens with each state change; the repair is the
// safety net for what that can't see: workspaces that held resources before
// metering existed, and intervals whose workspace row is gone.

export type UsageLoop = PeriodicPass<{ repaired: number; rolledUp: number }>;

const PASS_INTERVAL_MS = 60_000;
const METER_TRANSACTION = { maxWait: 30_000, timeout: 15_000 } as const;

/**
 * Makes every workspace's open intervals match its state: closes what a
 * stopped, failed or deleted workspace still holds (at the time its state
 * changed) and opens what a running or existing one lacks. Returns how many
 * workspaces it repaired.
 */
export async function reconcileUsage(now: Date): Promise<number> {
  const db = getBackgroundDb();
  // Indexed by the partial "one open interval" index and Workspace(state, …); both sides are small.
  const mismatched = await db.$queryRaw<{ id: string }[]>`
    SELECT w."id" FROM "Workspace" w
     WHERE (w."state" <> 'DELETED' AND NOT EXISTS (
              SELECT 1 FROM "UsageInterval" u WHERE u."workspaceId" = w."id" AND u."kind" = 'STORAGE' AND u."endedAt" IS NULL))
        OR (w."state" IN ('STARTING', 'RUNNING') AND NOT EXISTS (
              SELECT 1 FROM "UsageInterval" u WHERE u."workspaceId" = w."id" AND u."kind" = 'COMPUTE' AND u."endedAt" IS NULL))
    UNION
    SELECT u."workspaceId" FROM "UsageInterval" u JOIN "Workspace" w ON w."id" = u."workspaceId"
     WHERE u."endedAt" IS NULL
       AND ((u."kind" = 'COMPUTE' AND w."state" NOT IN ('STARTING', 'RUNNING')) OR (u."kind" = 'STORAGE' AND w."state" = 'DELETED'))`;
  for (const { id } of mismatched) {
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "Workspace" WHERE "id" = ${id} FOR UPDATE`;
      const workspace = await tx.workspace.findUnique({ where: { id }, select: { stateChangedAt: true } });
      if (workspace) await meterWorkspace(tx, id, { now, closedAt: workspace.stateChangedAt });
    }, METER_TRANSACTION);
  }
  // Intervals of workspace rows that no longer exist end now: nothing holds their resources any more.
  const orphans = await db.$executeRaw`
    UPDATE "UsageInterval" u SET "endedAt" = GREATEST(${utcTimestamp(wholeSecond(now))}, u."startedAt", u."rolledUpUntil")
     WHERE u."endedAt" IS NULL AND NOT EXISTS (SELECT 1 FROM "Workspace" w WHERE w."id" = u."workspaceId")`;
  return mismatched.length + orphans;
}

export function createUsageLoop(options: { now?: () => Date; intervalMs?: number } = {}): UsageLoop {
  const clock = options.now ?? (() => new Date());
  async function pass() {
    const now = clock();
    const repaired = await reconcileUsage(now);
    const rolledUp = await rollUpUsage(getBackgroundDb(), now);
    return { repaired, rolledUp };
  }

  return periodicPass("usage", pass, options.intervalMs ?? PASS_INTERVAL_MS);
}
