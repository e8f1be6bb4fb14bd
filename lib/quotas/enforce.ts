import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { metrics } from "@/lib/observability/metrics";
import { monthToDateCoreHours } from "./budget";
import { teamQuotaRows } from "./limits";
import { resourceLimits, teamUsage } from "./usage";

// Quota checks that concurrent requests cannot race: the team's row is
// locked for the rest of the transaction, so two starts in one team are
// checked one after the other, each seeing what the other committed. A warm
// pool claim adds nothing to the team's totals, so it takes no team lock and
// claims run side by side; per-member limits lock the member's own row, which
// serializes one member's creates and claims.

/**
 * Options for transactions that check a quota: requests in one team queue on
 * its row lock, so a burst of them waits longer than Prisma's 2 s default
 * before a transaction starts.
 */
export const QUOTA_TRANSACTION = { maxWait: 30_000, timeout: 15_000 } as const;

export interface QuotaRequest {
  /** The request creates a workspace (as opposed to starting an existing one). */
  creates: boolean;
  /** The workspace will run, so its CPU and memory count. */
  runs: boolean;
  cpu: number;
  memoryGiB: number;
  /** Disk that isn't counted yet: a new workspace's, or the growth of an existing one. */
  addedDiskGiB: number;
  /**
   * A warm pool member changing hands: the team counts it already (as its
   * pool's), so only its new owner's own counts grow and the budget applies.
   */
  teamCountsIt?: boolean;
}

/** Throws a "quota" AppError naming the limit and the numbers when the request doesn't fit. */
export async function assertWithinQuota(
  tx: Prisma.TransactionClient,
  team: { id: string; slug: string },
  /** Null: a warm pool's workspace, which is no member's, so only the team's limits apply. */
  ownerId: string | null,
  request: QuotaRequest,
): Promise<void> {
  // NO KEY: a claim's rows that reference the team (usage intervals) don't wait on it, nor deadlock with it over the member's lock.
  if (!request.teamCountsIt) await tx.$queryRaw`SELECT 1 FROM "Team" WHERE "id" = ${team.id} FOR NO KEY UPDATE`;
  // One after the other: a transaction is one connection, which runs one query at a time anyway.
  const { effective: quota } = await teamQuotaRows(team.id, tx);
  const checks: Array<[limit: number | null, wouldUse: number, what: string]> = [];
  if (!request.teamCountsIt) {
    const usage = await teamUsage(team.id, tx);
    const limits = resourceLimits(quota);
    checks.push(
      [limits.workspaces, usage.workspaces + (request.creates ? 1 : 0), "workspaces"],
      [limits.runningWorkspaces, usage.runningWorkspaces + (request.runs ? 1 : 0), "running workspaces"],
      [limits.cpuCores, usage.cpuCores + (request.runs ? request.cpu : 0), "CPU cores"],
      [limits.memoryGiB, usage.memoryGiB + (request.runs ? request.memoryGiB : 0), "GiB of memory"],
      [limits.storageGiB, usage.storageGiB + request.addedDiskGiB, "GiB of storage"],
    );
  }
  if (ownerId !== null && (quota.maxWorkspacesPerMember !== null || quota.maxRunningPerMember !== null)) {
    // NO KEY, likewise: rows that merely reference the member (its sessions, audit entries) aren't held up.
    await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${ownerId} FOR NO KEY UPDATE`;
    const mine = await tx.workspace.findMany({ where: { teamId: team.id, ownerId, state: { not: "DELETED" } }, select: { desiredState: true } });
    checks.push(
      [quota.maxWorkspacesPerMember, mine.length + (request.creates ? 1 : 0), "workspaces per member"],
      [quota.maxRunningPerMember, mine.filter((w) => w.desiredState === "RUNNING").length + (request.runs ? 1 : 0), "running workspaces per member"],
    );
  }
  for (const [limit, wouldUse, what] of checks) {
    if (limit !== null && wouldUse > limit + 1e-9) {
      metrics.quotaRejections.inc({ limit: what });
      throw new AppError("quota", `Team ${team.slug} would use ${format(wouldUse)} of ${format(limit)} ${what}.`);
    }
  }
  // At 100 % of the monthly budget nothing new starts; what runs keeps running (see lib/quotas/budget.ts).
  if (request.runs && quota.monthlyCpuCoreHours !== null) {
    const used = await monthToDateCoreHours(team.id, new Date(), tx);
    if (used >= quota.monthlyCpuCoreHours) {
      metrics.quotaRejections.inc({ limit: "monthly CPU core-hours" });
      throw new AppError(
        "quota",
        `Team ${team.slug} has used ${format(used)} of its ${format(quota.monthlyCpuCoreHours)} CPU core-hours this month; new starts wait for next month or a higher budget.`,
      );
    }
  }
}

const format = (value: number) => String(Math.round(value * 100) / 100);
