import { can, type Actor } from "@/lib/authz";
import { AppError } from "@/lib/errors";

// Who may change a workspace, checked under its row lock both by one
// operation (operate-workspace.ts) and by a batch of starts (start-batch.ts).

export const workspaceNotFound = () => new AppError("not_found", "Workspace not found.");

export const beingDeleted = () => new AppError("conflict", "This workspace is being deleted.");

/** Not found when the actor can't see the workspace (or it is deleted), forbidden when they can only look. */
export function assertMayOperate<W extends { teamId: string; ownerId: string; state: string }>(actor: Actor, workspace: W | null | undefined): asserts workspace is W {
  if (!workspace || workspace.state === "DELETED") throw workspaceNotFound();
  const resource = { teamId: workspace.teamId, ownerId: workspace.ownerId };
  if (!can(actor, "workspace:view", resource)) throw workspaceNotFound();
  if (!can(actor, "workspace:operate", resource)) throw new AppError("forbidden", "You can't change this workspace.");
}
