import { recordAudit, type AuditAction } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { QUOTA_TRANSACTION, assertWithinQuota } from "@/lib/quotas/enforce";
import type { WorkspaceOperationInput } from "@/lib/schemas/workspaces";
import type { WorkspaceParameters } from "@/lib/templates/parameters";
import { requestReconcile } from "./reconcile-trigger";

// What users do to a workspace: each operation only records what they want
// (desiredState) under the workspace's row lock; the reconciler does it. Two
// clicks on Start therefore start it once.

const AUDIT: Record<WorkspaceOperationInput["operation"], AuditAction> = {
  start: "workspace.start-requested",
  stop: "workspace.stop-requested",
  delete: "workspace.delete-requested",
  retry: "workspace.retry-requested",
};

export const workspaceNotFound = () => new AppError("not_found", "Workspace not found.");

export async function operateWorkspace(actor: Actor, input: WorkspaceOperationInput): Promise<void> {
  await getDb().$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "Workspace" WHERE "id" = ${input.workspaceId} FOR UPDATE`;
    const workspace = await tx.workspace.findUnique({ where: { id: input.workspaceId }, include: { team: true } });
    if (!workspace || workspace.state === "DELETED") throw workspaceNotFound();
    const resource = { teamId: workspace.teamId, ownerId: workspace.ownerId };
    if (!can(actor, "workspace:view", resource)) throw workspaceNotFound();
    if (!can(actor, "workspace:operate", resource)) throw new AppError("forbidden", "You can't change this workspace.");

    let desiredState: DesiredState;
    let state: WorkspaceState = workspace.state;
    switch (input.operation) {
      case "start":
      case "retry": {
        if (input.operation === "retry" && workspace.state !== "FAILED") throw new AppError("conflict", "Only a failed workspace can be retried.");
        if (workspace.desiredState === "DELETED") throw new AppError("conflict", "This workspace is being deleted.");
        const parameters = workspace.parameters as unknown as WorkspaceParameters;
        // Its own resources don't count yet unless it is already meant to run.
        if (workspace.desiredState !== "RUNNING") {
          await assertWithinQuota(tx, workspace.team, workspace.ownerId, {
            creates: false,
            runs: true,
            cpu: parameters.cpu,
            memoryGiB: parameters.memoryGiB,
            addedDiskGiB: 0,
          });
        }
        desiredState = "RUNNING";
        if (workspace.state === "FAILED") state = "PENDING";
        break;
      }
      case "stop":
        if (workspace.desiredState === "DELETED") throw new AppError("conflict", "This workspace is being deleted.");
        desiredState = "STOPPED";
        break;
      case "delete":
        if (input.confirmName !== workspace.name) throw new AppError("invalid", `Type ${workspace.name} to confirm.`, "confirmName");
        desiredState = "DELETED";
        break;
    }
    // Starting a dormant workspace wakes it: no longer dormant, and any scheduled deletion is cancelled.
    const wakes = desiredState === "RUNNING" ? { dormantAt: null, deletionScheduledAt: null } : {};
    await tx.workspace.update({
      where: { id: workspace.id },
      data: { desiredState, state, ...wakes, ...(state !== workspace.state ? { stateChangedAt: new Date() } : {}) },
    });
    if (state !== workspace.state) {
      await tx.workspaceEvent.create({ data: { workspaceId: workspace.id, step: "state", message: "Retrying", data: { from: workspace.state, to: state } } });
    }
    await recordAudit(
      {
        action: AUDIT[input.operation],
        actorId: actor.id,
        targetType: "workspace",
        targetId: workspace.id,
        teamId: workspace.teamId,
        before: { desiredState: workspace.desiredState, state: workspace.state },
        after: { desiredState, state },
      },
      tx,
    );
  }, QUOTA_TRANSACTION);
  requestReconcile(input.workspaceId);
}
