import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { lockTeamInReach, teamDenied } from "@/lib/teams/access";
import { connectResource, granteesInForce } from "@/lib/workspaces/access-grants";
import { declaredShare, shareCap } from "./port-policy";
import { isPort, previewHost, PREVIEW_URLS_OFF } from "./preview-host";
import { fromPortShare, shareLevel, toPortShare, within } from "./share-level";

// Changing who may open ports: a workspace owner shares one of its ports
// (within its team's cap and the platform's), a team's owners and admins
// cap what its ports may be shared with. Each change is audited, before →
// after; the port proxy applies it within its few seconds of reuse.

const portShareInput = z.object({ workspaceId: z.string().min(1), port: z.number().int().refine(isPort), share: shareLevel });
const teamCapInput = z.object({ teamId: z.string().min(1), maxShare: shareLevel });

const workspaceNotFound = () => new AppError("not_found", "Workspace not found.");

export async function setPortShare(actor: Actor, input: z.input<typeof portShareInput>): Promise<void> {
  const { workspaceId, port, share } = portShareInput.parse(input);
  const db = getDb();
  const workspace = await db.workspace.findUnique({
    where: { id: workspaceId },
    include: {
      accessGrants: granteesInForce(),
      team: { select: { slug: true, maxPortShare: true } },
      templateVersion: { select: { spec: true } },
      ports: { where: { port }, select: { share: true } },
    },
  });
  if (!workspace || workspace.deletedAt) throw workspaceNotFound();
  if (!can(actor, "workspace:share-port", connectResource(workspace))) {
    throw can(actor, "workspace:view", workspace) ? new AppError("forbidden", "Only the workspace's owner shares its ports.") : workspaceNotFound();
  }
  if (!previewHost()) throw new AppError("invalid", PREVIEW_URLS_OFF, "share");
  const cap = shareCap(workspace);
  if (!within(share, cap)) throw new AppError("invalid", `Ports of this team's workspaces may be shared at most with: ${cap}.`, "share");
  const before = workspace.ports[0] ? fromPortShare(workspace.ports[0].share) : declaredShare(workspace, port);
  if (before === share) return;
  await db.$transaction(async (tx) => {
    await tx.workspacePort.upsert({
      where: { workspaceId_port: { workspaceId, port } },
      create: { workspaceId, port, share: toPortShare(share) },
      update: { share: toPortShare(share) },
    });
    await recordAudit(
      { action: "workspace.port-shared", actorId: actor.id, targetType: "workspace", targetId: workspaceId, teamId: workspace.teamId, before: { port, share: before }, after: { port, share } },
      tx,
    );
  });
}

export async function setTeamPortShareCap(actor: Actor, input: z.input<typeof teamCapInput>): Promise<void> {
  const { teamId, maxShare } = teamCapInput.parse(input);
  if (!can(actor, "team:manage-quotas", { teamId })) throw teamDenied(actor, teamId, "Only team owners and admins can cap how far ports are shared.");
  await getDb().$transaction(async (tx) => {
    await lockTeamInReach(tx, actor, teamId);
    const { maxPortShare } = await tx.team.findUniqueOrThrow({ where: { id: teamId }, select: { maxPortShare: true } });
    if (fromPortShare(maxPortShare) === maxShare) return;
    await tx.team.update({ where: { id: teamId }, data: { maxPortShare: toPortShare(maxShare) } });
    await recordAudit(
      { action: "team.port-share-capped", actorId: actor.id, targetType: "team", targetId: teamId, teamId, before: { maxShare: fromPortShare(maxPortShare) }, after: { maxShare } },
      tx,
    );
  });
}
