import type { TeamRole } from "@/lib/generated/prisma/enums";

// Every permission decision in Podspace is made here. Server actions, route
// handlers and WebSocket handlers ask `can`; data-layer lookups turn a "no"
// into "not found", so ids of resources out of reach cannot be probed.

/** Who is asking: the signed-in user with their role in each team. */
export interface Actor {
  id: string;
  isPlatformAdmin: boolean;
  /** May create, edit and archive templates; optional so older call sites stay valid. */
  isTemplateAdmin?: boolean;
  /** teamId → role, for every team the user belongs to. */
  roles: ReadonlyMap<string, TeamRole>;
}

export type Action =
  | "team:create"
  | "team:view"
  | "team:archive"
  | "team:manage-members"
  /** Set the team's quota limits, within the platform's ceilings. */
  | "team:manage-quotas"
  /** Set the platform's ceilings on a team's quota. */
  | "team:set-quota-ceilings"
  /** Read the audit log; with a team, that team's entries. */
  | "audit:view"
  | "user:administer"
  /** See every team's usage at once (each team's own usage needs only team:view). */
  | "usage:view-all"
  /** Create, edit, archive and unarchive templates; see archived ones. */
  | "template:manage"
  /** Create a workspace in a team. */
  | "workspace:create"
  /** See a workspace, its status and events. */
  | "workspace:view"
  /** Start, stop, restart, update and delete it. */
  | "workspace:operate"
  /** Open its terminal and IDE: a shell as its owner, so only the owner, or a holder of an access grant. */
  | "workspace:connect"
  /** Grant oneself time-limited, audited access to a workspace's terminal and IDE. */
  | "workspace:get-admin-access"
  /** Open a port of a workspace through its preview URL, at the port's share level (a public one needs no actor at all). */
  | "workspace:open-port"
  /** Set the share level of a workspace's port: its owner's to give. */
  | "workspace:share-port"
  /** List, browse, download and restore a workspace's backups (its files): its owner, and the team's owners and admins. */
  | "workspace:read-backups";

interface TeamResource {
  teamId: string;
}

interface WorkspaceResource extends TeamResource {
  ownerId: string;
}

/**
 * A workspace with the users who hold an access grant to it in force now,
 * loaded with it by the data layer (lib/workspaces/access-grants.ts): a
 * grant expires or is ended at a moment `can` mustn't have to know about.
 */
export interface ConnectableResource extends WorkspaceResource {
  granteeIds: readonly string[];
}

/** A workspace's port, with who it is shared with (lib/ports/share-level.ts). */
interface PortResource extends ConnectableResource {
  share: "owner" | "team" | "authenticated" | "public";
}

/** For membership changes: the role the target has now and the role it would get. */
interface MembershipChange extends TeamResource {
  currentRole?: TeamRole;
  newRole?: TeamRole;
}

type ResourceFor<A extends Action> = A extends
  | "team:create"
  | "user:administer"
  | "usage:view-all"
  | "template:manage"
  | "team:set-quota-ceilings"
  | "workspace:get-admin-access"
  ? undefined
  : A extends "team:manage-members"
    ? MembershipChange
    : A extends "workspace:open-port"
      ? PortResource
      : A extends "workspace:connect" | "workspace:share-port"
      ? ConnectableResource
      : A extends "workspace:view" | "workspace:operate" | "workspace:read-backups"
        ? WorkspaceResource
        : TeamResource;

const RANK: Record<TeamRole, number> = { MEMBER: 1, ADMIN: 2, OWNER: 3 };

export function can<A extends Action>(actor: Actor, action: A, ...[resource]: ResourceFor<A> extends undefined ? [] : [ResourceFor<A>]): boolean {
  // A shell in a workspace is its owner's: platform admins get in only
  // through a grant, which is audited, time-limited and shown to the owner.
  // So is an app it serves, and its sharing.
  // So are its files, kept in its backups.
  const ownersOnly: readonly Action[] = ["workspace:connect", "workspace:open-port", "workspace:share-port", "workspace:read-backups"];
  if (actor.isPlatformAdmin && !ownersOnly.includes(action)) return true;
  switch (action) {
    case "team:create":
    case "team:archive":
    case "team:set-quota-ceilings":
    case "user:administer":
    case "usage:view-all":
    case "workspace:get-admin-access":
      return false;
    case "template:manage":
      return actor.isTemplateAdmin === true;
    case "team:view":
    case "workspace:create":
      return actor.roles.has((resource as TeamResource).teamId);
    case "team:manage-quotas": {
      const role = actor.roles.get((resource as TeamResource).teamId);
      return role === "OWNER" || role === "ADMIN";
    }
    // The log shows who did what to members and settings: owners only.
    case "audit:view":
      return actor.roles.get((resource as TeamResource).teamId) === "OWNER";
    case "workspace:view":
    case "workspace:operate":
    // A deleted workspace's backups are restorable by its owner or a team admin (the owner may have left).
    case "workspace:read-backups": {
      // Owners run their own; team owners and admins look after the team's.
      const workspace = resource as WorkspaceResource;
      const role = actor.roles.get(workspace.teamId);
      return role !== undefined && (workspace.ownerId === actor.id || role !== "MEMBER");
    }
    case "workspace:connect": {
      const workspace = resource as ConnectableResource;
      if (workspace.ownerId === actor.id && actor.roles.has(workspace.teamId)) return true;
      // Grants are how platform admins get in; one whose role was taken away
      // loses the grants they took with it.
      return actor.isPlatformAdmin && workspace.granteeIds.includes(actor.id);
    }
    case "workspace:open-port": {
      const port = resource as PortResource;
      if (port.share === "public" || port.share === "authenticated") return true;
      if (port.share === "team" && actor.roles.has(port.teamId)) return true;
      return can(actor, "workspace:connect", port);
    }
    // Only its owner shares what runs in it; an admin's grant is to look, not to publish.
    case "workspace:share-port": {
      const workspace = resource as ConnectableResource;
      return workspace.ownerId === actor.id && actor.roles.has(workspace.teamId);
    }
    case "team:manage-members": {
      const change = resource as MembershipChange;
      const role = actor.roles.get(change.teamId);
      if (role !== "OWNER" && role !== "ADMIN") return false;
      // Admins manage members and admins; only owners touch ownership.
      const touched = Math.max(RANK[change.currentRole ?? "MEMBER"], RANK[change.newRole ?? "MEMBER"]);
      return RANK[role] >= touched;
    }
  }
  return false;
}

export function roleIn(actor: Actor, teamId: string): TeamRole | undefined {
  return actor.roles.get(teamId);
}
