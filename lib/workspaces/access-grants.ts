import type { ConnectableResource } from "@/lib/authz";
import type { Prisma } from "@/lib/generated/prisma/client";

// Who besides its owner may open a workspace's terminal and IDE: the holders
// of an access grant in force. Every check of workspace:connect loads them
// with the workspace, so a grant that is ended or runs out stops counting at
// the next check; open terminals and IDEs recheck every few seconds.

/** How long admin access lasts: enough to look into a problem, short enough that nobody keeps it. */
export const ADMIN_ACCESS_MS = 60 * 60_000;

/** Grants in force at `now`: neither ended nor expired. */
export function grantsInForce(now = new Date()) {
  return { revokedAt: null, expiresAt: { gt: now } } satisfies Prisma.WorkspaceAccessGrantWhereInput;
}

/** To load with a workspace (as `accessGrants`) for connectResource: who holds a grant in force now. */
export function granteesInForce() {
  return { where: grantsInForce(), select: { userId: true } } satisfies Prisma.Workspace$accessGrantsArgs;
}

/** The resource `can(actor, "workspace:connect", …)` takes, from a workspace loaded with its grants in force. */
export function connectResource(workspace: { teamId: string; ownerId: string; accessGrants: readonly { userId: string }[] }): ConnectableResource {
  return { teamId: workspace.teamId, ownerId: workspace.ownerId, granteeIds: workspace.accessGrants.map((grant) => grant.userId) };
}
