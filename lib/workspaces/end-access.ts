import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { EndAccessInput } from "@/lib/schemas/workspaces";
import { grantsInForce } from "./access-grants";
import { lockWorkspaceToOperate, workspaceNotFound } from "./operate-workspace";

// Ends an access grant before it runs out. Whoever may operate the workspace
// may end it: its owner, the team's owners and admins, platform admins. The
// grantee's open terminals and IDEs close at their next recheck
// (SessionRevalidator in lib/auth/websocket-auth.ts).

/** Ends the grant; returns its workspace and the grantee's email for the message. */
export async function endAccess(actor: Actor, input: EndAccessInput): Promise<{ workspaceId: string; granteeEmail: string }> {
  return getDb().$transaction(async (tx) => {
    const grant = await tx.workspaceAccessGrant.findUnique({ where: { id: input.grantId }, include: { user: { select: { email: true } } } });
    // A grant is part of its workspace: out of reach, it is not found like the workspace.
    if (!grant) throw workspaceNotFound();
    const workspace = await lockWorkspaceToOperate(tx, actor, grant.workspaceId);
    const now = new Date();
    const ended = await tx.workspaceAccessGrant.updateMany({ where: { id: grant.id, ...grantsInForce(now) }, data: { revokedAt: now, revokedById: actor.id } });
    if (ended.count === 0) throw new AppError("conflict", "This access has already ended.");
    await recordAudit(
      {
        action: "workspace.access-ended",
        actorId: actor.id,
        targetType: "workspace",
        targetId: workspace.id,
        teamId: workspace.teamId,
        before: { grantId: grant.id, granteeId: grant.userId, reason: grant.reason, expiresAt: grant.expiresAt.toISOString() },
        after: { revokedAt: now.toISOString() },
      },
      tx,
    );
    return { workspaceId: workspace.id, granteeEmail: grant.user.email };
  });
}
