import type { CurrentUser } from "@/lib/auth/current-user";
import { userForToken } from "@/lib/auth/websocket-auth";
import { can } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { templateSpec } from "@/lib/templates/spec";
import { connectResource, granteesInForce } from "@/lib/workspaces/access-grants";
import { runtimeSpecInclude } from "@/lib/workspaces/runtime-spec";
import type { PortAddress } from "./preview-host";
import { fromPortShare, narrowest, type ShareLevel } from "./share-level";

// Who may open one port of a workspace: its share level (the owner's
// choice, else the template's, else owner only), narrowed to its team's cap
// and the platform's, and `can`'s workspace:open-port at that level.

const policyInclude = (port: number) =>
  ({
    ...runtimeSpecInclude,
    team: { select: { id: true, slug: true, maxPortShare: true } },
    accessGrants: granteesInForce(),
    ports: { where: { port }, select: { share: true } },
    owner: { select: { deactivatedAt: true, memberships: { select: { teamId: true } } } },
  }) as const;

async function findWorkspace({ workspaceId, port }: PortAddress) {
  return getDb().workspace.findUnique({ where: { id: workspaceId }, include: policyInclude(port) });
}

export type PortWorkspace = NonNullable<Awaited<ReturnType<typeof findWorkspace>>>;

export interface PortPolicy {
  workspace: PortWorkspace;
  /** The level in force: the set or declared one within both caps. */
  share: ShareLevel;
}

/** The share level a port has unless its owner set one: what its template declares, else owner only. */
export function declaredShare(workspace: { templateVersion: { spec: unknown } }, port: number): ShareLevel {
  return templateSpec.parse(workspace.templateVersion.spec).ports.find((declared) => declared.port === port)?.share ?? "owner";
}

/** The widest level a workspace's ports may have: its team's cap within the platform's. */
export const shareCap = (workspace: { team: Pick<PortWorkspace["team"], "maxPortShare"> }): ShareLevel =>
  narrowest(fromPortShare(workspace.team.maxPortShare), env.PODSPACE_PREVIEW_MAX_SHARE);

/** A team's own cap and the platform's (its settings show both): the narrower of the two is in force. */
export async function teamShareCaps(teamId: string): Promise<{ team: ShareLevel; platform: ShareLevel }> {
  const { maxPortShare } = await getDb().team.findUniqueOrThrow({ where: { id: teamId }, select: { maxPortShare: true } });
  return { team: fromPortShare(maxPortShare), platform: env.PODSPACE_PREVIEW_MAX_SHARE };
}

/** The port's workspace and share level; null when there is no such (undeleted) workspace. */
export async function loadPortPolicy(address: PortAddress): Promise<PortPolicy | null> {
  const workspace = await findWorkspace(address);
  if (!workspace || workspace.state === "DELETED" || workspace.deletedAt) return null;
  // Only the owner, while a member of the team, can narrow a share again: one left by an owner who is gone narrows by itself.
  const ownerHasSay = !workspace.owner.deactivatedAt && workspace.owner.memberships.some((membership) => membership.teamId === workspace.team.id);
  const chosen = !ownerHasSay ? "owner" : workspace.ports[0] ? fromPortShare(workspace.ports[0].share) : declaredShare(workspace, address.port);
  return { workspace, share: narrowest(chosen, shareCap(workspace)) };
}

/** Whether `user` (null: nobody signed in) may open the port. */
export function mayOpenPort(user: CurrentUser | null, { workspace, share }: PortPolicy): boolean {
  if (share === "public") return true;
  return user !== null && can(user, "workspace:open-port", { ...connectResource(workspace), share });
}

/** Asked afresh (an open socket's recheck): whether the session behind `token`, if any, may still open the port. */
export async function stillMayOpenPort(address: PortAddress, token: string | null): Promise<boolean> {
  const policy = await loadPortPolicy(address);
  if (!policy) return false;
  return mayOpenPort(token ? await userForToken(token) : null, policy);
}
