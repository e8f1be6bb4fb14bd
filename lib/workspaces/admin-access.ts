import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { FormActionDefinition } from "@/lib/forms/form-action";
import { adminAccessSchema, type AdminAccessInput } from "@/lib/schemas/workspaces";
import { ADMIN_ACCESS_MS, connectResource, grantsInForce } from "./access-grants";
import { lockWorkspaceToOperate } from "./operate-workspace";

// A platform admin's only way into someone's terminal and IDE: an explicit
// request with a reason, for a fixed time, recorded in the audit log under
// the workspace's team (so its owners read it there too) and shown on the
// workspace page, where whoever looks after the workspace can end it.

/** Refuses anyone but platform admins, before the request is read. */
export function assertGetsAdminAccess(actor: Actor): void {
  if (!can(actor, "workspace:get-admin-access")) throw new AppError("forbidden", "Only platform admins can get admin access to a workspace.");
}

/** How the "Get admin access" form is taken in (lib/forms/form-action.ts). */
export const adminAccessForm = {
  authorize: assertGetsAdminAccess,
  schema: adminAccessSchema,
} satisfies Omit<FormActionDefinition<typeof adminAccessSchema>, "perform">;

/** Grants the actor access to the workspace's terminal and IDE for ADMIN_ACCESS_MS; returns when it ends. */
export async function getAdminAccess(actor: Actor, input: AdminAccessInput): Promise<{ expiresAt: Date }> {
  assertGetsAdminAccess(actor);
  return getDb().$transaction(async (tx) => {
    // The row lock makes two clicks one grant.
    const workspace = await lockWorkspaceToOperate(tx, actor, input.workspaceId);
    const accessGrants = await tx.workspaceAccessGrant.findMany({ where: { workspaceId: workspace.id, ...grantsInForce() }, select: { userId: true } });
    if (can(actor, "workspace:connect", connectResource({ ...workspace, accessGrants }))) {
      throw new AppError("conflict", "You can already open this workspace's terminal and IDE.");
    }
    const grant = await tx.workspaceAccessGrant.create({
      data: { workspaceId: workspace.id, userId: actor.id, reason: input.reason, expiresAt: new Date(Date.now() + ADMIN_ACCESS_MS) },
    });
    await recordAudit(
      {
        action: "workspace.access-granted",
        actorId: actor.id,
        targetType: "workspace",
        targetId: workspace.id,
        teamId: workspace.teamId,
        after: { grantId: grant.id, granteeId: actor.id, reason: grant.reason, expiresAt: grant.expiresAt.toISOString() },
      },
      tx,
    );
    return { expiresAt: grant.expiresAt };
  });
}
