import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { operateWorkspace } from "./operate-workspace";

// Team owners and admins stopping many workspaces at once (end of a workshop,
// a runaway bill). Each one is an ordinary Stop with its own permission check
// and audit entry, so a bulk stop can do nothing a row's Stop button couldn't.

export interface BulkStopResult {
  stopped: string[];
  /** Workspaces left as they were, by name, with why. */
  refused: { name: string; message: string }[];
}

export async function bulkStopWorkspaces(actor: Actor, workspaceIds: readonly string[]): Promise<BulkStopResult> {
  const rows = await getDb().workspace.findMany({ where: { id: { in: [...workspaceIds] } }, select: { id: true, name: true } });
  const names = new Map(rows.map((row) => [row.id, row.name]));
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
