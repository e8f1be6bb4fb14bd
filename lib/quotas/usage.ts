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

type Reader = Pick<PrismaClient | Prisma.TransactionClient, "workspace" | "teamQuota">;

/** The workspace's resources from Workspace.parameters ({ cpu, memoryGiB, diskGiB, values }); unknown shapes count as zero. */
function resourcesOf(parameters: Prisma.JsonValue): { cpu: number; memoryGiB: number; diskGiB: number } {
  const record = parameters !== null && typeof parameters === "object" && !Array.isArray(parameters) ? parameters : {};
  const number = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0);
  return { cpu: number(record.cpu), memoryGiB: number(record.memoryGiB), diskGiB: number(record.diskGiB) };
}

/** Avoids 0.1 + 0.2 artifacts in sums of fractional cores. */
const round = (value: number) => Math.round(value * 1000) / 1000;

/** Sums the team's workspaces that aren't deleted. Pass a transaction client to count under its locks. */
export async function teamUsage(teamId: string, db: Reader = getDb()): Promise<TeamUsage> {
  const workspaces = await db.workspace.findMany({
    where: { teamId, state: { not: "DELETED" }, deletedAt: null },
    select: { state: true, desiredState: true, parameters: true },
  });
  const usage: TeamUsage = { cpuCores: 0, memoryGiB: 0, storageGiB: 0, workspaces: 0, runningWorkspaces: 0 };
  for (const workspace of workspaces) {
    const resources = resourcesOf(workspace.parameters);
    usage.workspaces += 1;
    usage.storageGiB += resources.diskGiB;
    if (workspace.desiredState === "RUNNING" || workspace.state === "STARTING" || workspace.state === "RUNNING") {
      usage.runningWorkspaces += 1;
      usage.cpuCores += resources.cpu;
      usage.memoryGiB += resources.memoryGiB;
    }
  }
  return { ...usage, cpuCores: round(usage.cpuCores), memoryGiB: round(usage.memoryGiB), storageGiB: round(usage.storageGiB) };
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
  const left = (limit: number | null, used: number) => (limit === null ? null : Math.max(0, round(limit - used)));
  return {
    cpuCores: left(limits.cpuCores, usage.cpuCores),
    memoryGiB: left(limits.memoryGiB, usage.memoryGiB),
    storageGiB: left(limits.storageGiB, usage.storageGiB),
    workspaces: left(limits.workspaces, usage.workspaces),
    runningWorkspaces: left(limits.runningWorkspaces, usage.runningWorkspaces),
  };
}
