import { getDb } from "@/lib/db/client";
import type { TeamSpaceSpec, WorkspaceRuntime } from "@/lib/runtime/types";
import { teamQuotaRows, type QuotaReader } from "./limits";

// Defense in depth: the runtime enforces the team's quota too (on Kubernetes,
// the team namespace's ResourceQuota), so a pod created around Podspace's own
// checks is still refused. These are the limits it is given.

export async function teamSpaceLimits(teamId: string, db: QuotaReader = getDb()): Promise<TeamSpaceSpec["limits"]> {
  const { effective } = await teamQuotaRows(teamId, db);
  return {
    cpuMillicores: effective.cpuMillicores,
    memoryMiB: effective.memoryMiB,
    storageGiB: effective.storageGiB,
    workspaces: effective.maxWorkspaces,
    runningWorkspaces: effective.maxRunningWorkspaces,
  };
}

/**
 * Brings the runtime's copy of the team's quota up to date after a change.
 * A team that has never had a workspace has no namespace yet and gets none
 * here: the reconciler prepares it before its first workspace starts.
 */
export async function syncTeamSpace(runtime: WorkspaceRuntime, team: { id: string; slug: string }): Promise<boolean> {
  const db = getDb();
  const hasWorkspaces = await db.workspace.findFirst({ where: { teamId: team.id }, select: { id: true } });
  if (!hasWorkspaces) return false;
  await runtime.prepareTeam({ slug: team.slug, limits: await teamSpaceLimits(team.id, db) });
  return true;
}
