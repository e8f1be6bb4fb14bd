import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { operateWorkspace } from "./operate-workspace";

// Team owners and admins stopping many workspaces at once (end of a workshop,
// a runaway bill). Each one is an ordinary Stop with its own permission check
// and audit entry, so a bulk stop can do nothing a row's Stop button couldn't.

export interface BulkStopResult {
  stopped: string[];
  /**
   * Workspaces left as they were, with why: by name when the actor can see
   * the workspace, otherwise by the id they sent, so another team's
   * workspace reads exactly like an id that doesn't exist.
   */
  refused: { name: string; message: string }[];
}

/** The names of the workspaces among `ids` that the actor may see. */
async function visibleNames(actor: Actor, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await getDb().workspace.findMany({ where: { id: { in: [...ids] } }, select: { id: true, name: true, teamId: true, ownerId: true } });
  return new Map(rows.filter((row) => can(actor, "workspace:view", row)).map((row) => [row.id, row.name]));
}

export async function bulkStopWorkspaces(actor: Actor, workspaceIds: readonly string[]): Promise<BulkStopResult> {
  const names = await visibleNames(actor, workspaceIds);
  const result: BulkStopResult = { stopped: [], refused: [] };
  // One at a time: each takes its workspace's row lock, and the reconciler is
  // asked to act on each as soon as its stop is recorded.
  for (const workspaceId of new Set(workspaceIds)) {
    const name = names.get(workspaceId) ?? workspaceId;
    try {
      await operateWorkspace(actor, { workspaceId, operation: "stop" });
      result.stopped.push(name);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      result.refused.push({ name, message: error.message });
    }
  }
  return result;
}
