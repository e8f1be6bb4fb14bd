import { getDb } from "@/lib/db/client";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import { teamQuotaRows, type QuotaValues } from "./limits";

// What a team's workspaces hold right now, and the limits its owners set.
// CPU and memory count only for workspaces that run or are meant to run;
// disk and the workspace count hold for every workspace until it is deleted.

export interface TeamUsage {
  cpuCores: number;
  memoryGiB: number;
  storageGiB: number;
  workspaces: number;
  runningWorkspaces: number;
}

/** Null means "no limit". */
export interface TeamLimits {
  cpuCores: number | null;
  memoryGiB: number | null;
  storageGiB: number | null;
  workspaces: number | null;
  runningWorkspaces: number | null;
}

type Reader = Pick<PrismaClient | Prisma.TransactionClient, "$queryRaw" | "teamQuota">;

/** Avoids 0.1 + 0.2 artifacts in sums of fractional cores. */
export const roundUsage = (value: number) => Math.round(value * 1000) / 1000;

export type UsageRow = Partial<Record<keyof TeamUsage, number | bigint | string | null>>;

/** A row of the database's Team_usage (none: the team has no workspaces) as numbers. */
export function toTeamUsage(row: UsageRow | null | undefined): TeamUsage {
  const number = (value: number | bigint | string | null | undefined) => roundUsage(Number(value ?? 0));
  return {
    cpuCores: number(row?.cpuCores),
    memoryGiB: number(row?.memoryGiB),
    storageGiB: number(row?.storageGiB),
    workspaces: number(row?.workspaces),
    runningWorkspaces: number(row?.runningWorkspaces),
  };
}

/**
 * What the team's workspaces that aren't deleted hold, summed in the database
 * (Team_usage, prisma/migrations/20261212100000_quota_state_functions: CPU and
 * memory of those that run or are meant to, resources from each workspace's
 * parameters). Pass a transaction client to count under its locks.
 */
export async function teamUsage(teamId: string, db: Reader = getDb()): Promise<TeamUsage> {
  const [row] = await db.$queryRaw<UsageRow[]>`SELECT * FROM "Team_usage"(ARRAY[${teamId}])`;
  return toTeamUsage(row);
}

/** The team's enforced quota (the stricter of its LIMIT and CEILING) in the units templates use (cores, GiB); all null when it has none. */
export async function teamLimits(teamId: string, db: Reader = getDb()): Promise<TeamLimits> {
  return resourceLimits((await teamQuotaRows(teamId, db)).effective);
}

export function resourceLimits(quota: QuotaValues): TeamLimits {
  return {
    cpuCores: quota.cpuMillicores === null ? null : quota.cpuMillicores / 1000,
    memoryGiB: quota.memoryMiB === null ? null : quota.memoryMiB / 1024,
    storageGiB: quota.storageGiB,
    workspaces: quota.maxWorkspaces,
    runningWorkspaces: quota.maxRunningWorkspaces,
  };
}

/** What is left under each limit (never negative); null where there is no limit. */
export function headroom(usage: TeamUsage, limits: TeamLimits): TeamLimits {
  const left = (limit: number | null, used: number) => (limit === null ? null : Math.max(0, roundUsage(limit - used)));
  return {
    cpuCores: left(limits.cpuCores, usage.cpuCores),
    memoryGiB: left(limits.memoryGiB, usage.memoryGiB),
    storageGiB: left(limits.storageGiB, usage.storageGiB),
    workspaces: left(limits.workspaces, usage.workspaces),
    runningWorkspaces: left(limits.runningWorkspaces, usage.runningWorkspaces),
  };
}
