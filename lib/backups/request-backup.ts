import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { idSchema } from "@/lib/schemas/fields";
import { backupStore } from "./store";

// "Back up now": a MANUAL backup of a workspace, queued for the backup loop.
// (Minimal version until the lifecycle branch lands: it queues the row; the
// loop that runs PENDING backups, and waking it, come with that branch.)

/** Queues a backup of the workspace, or returns the one already queued or running. */
export async function requestBackup(actor: Actor, workspaceId: string): Promise<{ id: string }> {
  const db = getDb();
  const id = idSchema.parse(workspaceId);
  const workspace = await db.workspace.findUnique({ where: { id }, select: { id: true, teamId: true, ownerId: true, deletedAt: true } });
  if (!workspace || workspace.deletedAt || !can(actor, "workspace:operate", workspace)) throw new AppError("not_found", "Workspace not found.");
  if (!backupStore()) throw new AppError("invalid", "Backups are turned off on this Podspace.");
  const inFlight = await db.backup.findFirst({ where: { workspaceId: id, status: { in: ["PENDING", "RUNNING"] } }, select: { id: true } });
  if (inFlight) return inFlight;
  return db.backup.create({ data: { teamId: workspace.teamId, workspaceId: id, reason: "MANUAL", requestedById: actor.id }, select: { id: true } });
}
