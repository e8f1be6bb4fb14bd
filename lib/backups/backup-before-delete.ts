import { RuntimeError, type WorkspaceSpec } from "@/lib/runtime/types";
import { requeueUnfinished, runBackup, type BackupDeps } from "./backup-workspace";
import { claimBackup } from "./queue";
import { backupStore } from "./store";

// The last backup of a workspace, taken before its home is destroyed, so that
// deleting a workspace (by hand, or a dormant one by policy) loses nothing
// its owner wrote since its last backup. Until it succeeds the home stays:
// the reconciler keeps the workspace DELETING and tries again, unless someone
// who may delete it chooses to go on without it (delete-without-backup).

interface DeletedWorkspace {
  id: string;
  teamId: string;
  warmPoolId: string | null;
  startedAt: Date | null;
  stoppedAt: Date | null;
  restoredAt: Date | null;
  /** Someone who may delete it chose to go on without the final backup, which had failed. */
  finalBackupSkippedAt: Date | null;
}

/** Thrown when the home must wait: an infrastructure failure to the reconciler, retried with backoff. */
const notYet = (why: string) => new RuntimeError("unavailable", `Not deleted yet: ${why}; its home is kept until then.`);

/**
 * Backs the workspace's home up unless a backup already holds everything in
 * it; throws (notYet) while that isn't so. A backup of it in the queue is
 * taken now instead, and one running is waited for: never a destroy under a
 * running backup.
 */
export async function backUpBeforeDelete(workspace: DeletedWorkspace, spec: WorkspaceSpec, deps: BackupDeps): Promise<void> {
  const { db, runtime } = deps;
  // An unclaimed warm-pool member is nobody's work; a workspace that never ran or was restored into has nothing to keep.
  if (!backupStore() || workspace.warmPoolId || (!workspace.startedAt && !workspace.restoredAt) || workspace.finalBackupSkippedAt) return;
  if ((await runtime.status(spec)).state === "absent") return;

  // A run of ours that ended without an outcome is not under way: it goes back to the queue, to be taken below.
  await requeueUnfinished(db);
  const open = await db.backup.findFirst({ where: { workspaceId: workspace.id, status: { in: ["PENDING", "RUNNING"] } }, orderBy: { createdAt: "asc" } });
  if (open?.status === "RUNNING") throw notYet("a backup of it is under way");
  let backupId: string;
  if (open) {
    if (!(await claimBackup(db, open.id, "DELETE"))) throw notYet("a backup of it is under way");
    backupId = open.id;
  } else {
    if (await backedUpSinceStopped(workspace, deps)) return;
    // Created running: the backup loop never sees it in its queue.
    ({ id: backupId } = await db.backup.create({
      data: { workspaceId: workspace.id, teamId: workspace.teamId, reason: "DELETE", status: "RUNNING", startedAt: new Date() },
      select: { id: true },
    }));
  }
  // runBackup records why it failed as the workspace's event.
  const outcome = await runBackup(backupId, deps);
  if (outcome === "FAILED") throw notYet("its final backup failed");
  // Another run took it over (a new leader's, while this one was demoted): never a destroy under it.
  if (outcome === "SUPERSEDED") throw notYet("a backup of it is under way");
}

/** Whether it stopped after it last ran, and a backup succeeded after that. */
async function backedUpSinceStopped(workspace: DeletedWorkspace, { db }: BackupDeps): Promise<boolean> {
  const { stoppedAt, startedAt } = workspace;
  if (!stoppedAt || (startedAt && startedAt > stoppedAt)) return false;
  return (await db.backup.count({ where: { workspaceId: workspace.id, status: "SUCCEEDED", finishedAt: { gt: stoppedAt } } })) > 0;
}
