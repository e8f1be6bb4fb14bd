import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { connectResource, granteesInForce } from "@/lib/workspaces/access-grants";
import { shareCap } from "./port-policy";
import { DEFAULT_LINK_HOURS, LINK_MAX_HOURS } from "./link-lifetime";
import { isPort, previewHost as configuredPreviewHost, PREVIEW_URLS_OFF, type PortAddress, type PreviewHost } from "./preview-host";
import { within } from "./share-level";

// Signed links: a workspace's owner shows one port to someone outside
// Podspace with a link that expires, and that they can revoke. The link's
// secret is in its URL once (only its hash is stored); opening it trades it
// for a cookie on the port's origin naming the link, and every request with
// that cookie asks the database whether the link is still in force, so a
// revocation works at once. A link reaches people outside Podspace: it
// needs the team's and the platform's caps to allow `public`, and stops
// working once either is narrowed.

/** Where on a port's origin a link is opened: <origin>/__podspace/link/<secret>. */
export const LINK_PATH = "/__podspace/link/";

const createInput = z.object({
  workspaceId: z.string().min(1),
  port: z.number().int().refine(isPort),
  hours: z.number().int().min(1).max(LINK_MAX_HOURS).default(DEFAULT_LINK_HOURS),
});
const revokeInput = z.object({ linkId: z.string().min(1) });

const hashOf = (secret: string) => createHash("sha256").update(secret).digest("hex");
const notFound = () => new AppError("not_found", "Workspace not found.");

/** The workspace, if `actor` may share its ports; throws what to tell them otherwise. */
async function sharedWorkspace(actor: Actor, workspaceId: string) {
  const workspace = await getDb().workspace.findUnique({
    where: { id: workspaceId },
    include: { accessGrants: granteesInForce(), team: { select: { maxPortShare: true } } },
  });
  if (!workspace || workspace.deletedAt) throw notFound();
  if (!can(actor, "workspace:share-port", connectResource(workspace))) {
    throw can(actor, "workspace:view", workspace) ? new AppError("forbidden", "Only the workspace's owner shares its ports.") : notFound();
  }
  return workspace;
}

export async function createPortLink(
  actor: Actor,
  input: z.input<typeof createInput>,
  previewHost: PreviewHost | null = configuredPreviewHost(),
): Promise<{ id: string; url: string; expiresAt: Date }> {
  const { workspaceId, port, hours } = createInput.parse(input);
  const workspace = await sharedWorkspace(actor, workspaceId);
  if (!previewHost) throw new AppError("invalid", PREVIEW_URLS_OFF);
  if (!within("public", shareCap(workspace))) throw new AppError("forbidden", "This team's ports may not be shared outside Podspace.");
  const secret = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + hours * 3600_000);
  const link = await getDb().$transaction(async (tx) => {
    const created = await tx.portLink.create({ data: { workspaceId, port, secretHash: hashOf(secret), createdById: actor.id, expiresAt } });
    await recordAudit(
      { action: "workspace.port-link-created", actorId: actor.id, targetType: "workspace", targetId: workspaceId, teamId: workspace.teamId, after: { linkId: created.id, port, expiresAt: expiresAt.toISOString() } },
      tx,
    );
    return created;
  });
  return { id: link.id, url: `${previewHost.originOf({ workspaceId, port })}${LINK_PATH}${secret}`, expiresAt };
}

export async function revokePortLink(actor: Actor, input: z.input<typeof revokeInput>): Promise<void> {
  const { linkId } = revokeInput.parse(input);
  const link = await getDb().portLink.findUnique({ where: { id: linkId } });
  if (!link) throw new AppError("not_found", "Link not found.");
  const workspace = await sharedWorkspace(actor, link.workspaceId);
  if (link.revokedAt) return;
  await getDb().$transaction(async (tx) => {
    await tx.portLink.update({ where: { id: linkId }, data: { revokedAt: new Date() } });
    await recordAudit(
      { action: "workspace.port-link-revoked", actorId: actor.id, targetType: "workspace", targetId: link.workspaceId, teamId: workspace.teamId, before: { linkId, port: link.port } },
      tx,
    );
  });
}

/** A link as the ports list shows it to its workspace's owner: never its secret. */
export interface PortLinkView {
  id: string;
  port: number;
  createdAt: Date;
  expiresAt: Date;
}

/** The workspace's links that are neither revoked nor expired, newest first (whether the caps let them work is the list's note). */
export async function activeLinksOf(workspaceId: string): Promise<PortLinkView[]> {
  return getDb().portLink.findMany({
    where: { workspaceId, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
    select: { id: true, port: true, createdAt: true, expiresAt: true },
  });
}

/** The link a secret opens for `address`, while in force: its id and expiry. */
export async function redeemPortLink(secret: string, address: PortAddress): Promise<{ id: string; expiresAt: Date } | null> {
  const link = await getDb().portLink.findUnique({ where: { secretHash: hashOf(secret) }, select: { id: true } });
  return link && linkInForce(link.id, address);
}

/**
 * The link, if it is for `address`, unrevoked, unexpired, the caps still let
 * its port out of Podspace, and whoever made it (the workspace's owner)
 * could still revoke it: active, and a member of the workspace's team.
 * Nobody else can revoke it, so it must not outlive its owner's say.
 */
export async function linkInForce(linkId: string, address: PortAddress): Promise<{ id: string; expiresAt: Date } | null> {
  const link = await getDb().portLink.findFirst({
    where: {
      id: linkId,
      workspaceId: address.workspaceId,
      port: address.port,
      revokedAt: null,
      expiresAt: { gt: new Date() },
      createdBy: { deactivatedAt: null, memberships: { some: { team: { archivedAt: null, workspaces: { some: { id: address.workspaceId } } } } } },
    },
    select: { id: true, expiresAt: true, workspace: { select: { deletedAt: true, team: { select: { maxPortShare: true } } } } },
  });
  if (!link || link.workspace.deletedAt || !within("public", shareCap(link.workspace))) return null;
  return { id: link.id, expiresAt: link.expiresAt };
}
