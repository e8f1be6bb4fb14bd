import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { workspaceNotFound } from "@/lib/workspaces/operate-workspace";
import { wakeBackups } from "./backup-trigger";
import { enqueueBackup } from "./queue";
import { backupsOffReason, backupStore } from "./store";

// A backup someone asks for (the workspace page's Back up now, the API): one
// at a time per workspace, taken by the backup loop on the leader.

/** Queues a MANUAL backup of the workspace, or returns the one already queued or running. */
export async function requestBackup(actor: Actor, workspaceId: string): Promise<{ id: string }> {
  const queued = await getDb().$transaction(async (tx) => {
    // The workspace's row lock: two clicks queue one backup.
    await tx.$queryRaw`SELECT 1 FROM "Workspace" WHERE "id" = ${workspaceId} FOR UPDATE`;
    const workspace = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { id: true, teamId: true, ownerId: true, state: true, desiredState: true } });
    // As everywhere in lib/workspaces: a workspace the actor may not operate is one they don't learn about.
    if (!workspace || !can(actor, "workspace:operate", workspace)) throw workspaceNotFound();
    if (workspace.state === "DELETED" || workspace.desiredState === "DELETED") throw new AppError("invalid", "This workspace is deleted, or being deleted: it is backed up before it goes.");
    if (!backupStore()) throw new AppError("invalid", backupsOffReason()!);
    const open = await tx.backup.findFirst({ where: { workspaceId, status: { in: ["PENDING", "RUNNING"] } }, select: { id: true } });
    if (open) return { backup: open, created: false };
    return { backup: await enqueueBackup(tx, { workspaceId, teamId: workspace.teamId, reason: "MANUAL", requestedById: actor.id }), created: true };
  });
  if (queued.created) wakeBackups();
  return queued.backup;
}
