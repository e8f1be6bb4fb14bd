import { getDb } from "@/lib/db/client";
import { monthToDateCoreHours, teamBudget, type BudgetStatus } from "./budget";
import { teamQuotaRows, type QuotaField, type TeamQuotaRows } from "./limits";
import { teamUsage } from "./usage";

// Everything the quota settings page shows: the rows, and what the team uses
// against each limit, in the database's units so it lines up with them.

export interface QuotaOverview extends TeamQuotaRows {
  /** In use now, per quota column; null where there is nothing to count (the idle cap). */
  used: Record<QuotaField, number | null>;
  budget: BudgetStatus | null;
}

export async function quotaOverview(teamId: string, now: Date = new Date()): Promise<QuotaOverview> {
  const db = getDb();
  const [rows, usage, perMember, team] = await Promise.all([
    teamQuotaRows(teamId, db),
    teamUsage(teamId, db),
    // A warm pool's workspaces are no member's (lib/quotas/enforce.ts doesn't count them per member either).
    db.workspace.findMany({ where: { teamId, state: { not: "DELETED" }, deletedAt: null, warmPoolId: null }, select: { ownerId: true, desiredState: true } }),
    db.team.findUniqueOrThrow({ where: { id: teamId }, select: { backupBytes: true } }),
  ]);
  const owned = new Map<string, number>();
  const running = new Map<string, number>();
  for (const workspace of perMember) {
    owned.set(workspace.ownerId, (owned.get(workspace.ownerId) ?? 0) + 1);
    if (workspace.desiredState === "RUNNING") running.set(workspace.ownerId, (running.get(workspace.ownerId) ?? 0) + 1);
  }
  const most = (counts: Map<string, number>) => Math.max(0, ...counts.values());
  const budget = await teamBudget(teamId, { now, db, budgetCoreHours: rows.effective.monthlyCpuCoreHours });
  return {
    ...rows,
    budget,
    used: {
      maxWorkspaces: usage.workspaces,
      maxRunningWorkspaces: usage.runningWorkspaces,
      cpuMillicores: Math.round(usage.cpuCores * 1000),
      memoryMiB: Math.round(usage.memoryGiB * 1024),
      storageGiB: usage.storageGiB,
      monthlyCpuCoreHours: budget?.usedCoreHours ?? (await monthToDateCoreHours(teamId, now, db)),
      maxWorkspacesPerMember: most(owned),
      maxRunningPerMember: most(running),
      maxIdleTimeoutMinutes: null,
      // As last measured by the daily upkeep; null until then.
      backupGiB: team.backupBytes === null ? null : Number(team.backupBytes) / 2 ** 30,
    },
  };
}
