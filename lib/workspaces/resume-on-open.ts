import { getDb } from "@/lib/db/client";

// Opening a stopped workspace starts it again, as Codespaces does, when
// Podspace or someone else stopped it (idle, lifetime, the budget, a team
// admin): its owner is back to work. Not when the owner pressed Stop: they
// may be opening it to delete it or to browse its backups, and starting it
// then would spend the team's quota (or, over quota, greet them with a
// refusal they didn't ask for).

/** Whether the owner's opening of the stopped workspace starts it: its last stop wasn't their own. */
export async function resumesOnOpen(workspace: { id: string; ownerId: string }): Promise<boolean> {
  const lastStop = await getDb().auditLog.findFirst({
    where: { targetType: "workspace", targetId: workspace.id, action: { in: ["workspace.stop-requested", "workspace.auto-stopped"] } },
    // The id breaks ties: entries of one millisecond, in the order they were made.
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { action: true, actorId: true },
  });
  return !(lastStop?.action === "workspace.stop-requested" && lastStop.actorId === workspace.ownerId);
}
