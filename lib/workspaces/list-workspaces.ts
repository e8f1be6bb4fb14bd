import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { AppError } from "@/lib/errors";
import { connectResource, granteesInForce } from "./access-grants";

// The workspaces a user sees on /workspaces: their own, and the whole team's
// for team owners and admins. Every row passes `can(actor, "workspace:view")`,
// so the list never shows more than the workspace page would.

export interface WorkspaceResources {
  /** CPU cores. */
  cpu: number;
  memoryGiB: number;
  diskGiB: number;
}

export interface WorkspaceListItem {
  id: string;
  name: string;
  state: WorkspaceState;
  desiredState: DesiredState;
  /** Why it failed (quota, image, oom, crashed, …); null unless FAILED. */
  stateReason: string | null;
  stateChangedAt: Date;
  startedAt: Date | null;
  lastActivityAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  gitRepository: string | null;
  resources: WorkspaceResources;
  owner: { id: string; name: string | null; email: string };
  team: { id: string; slug: string; name: string };
  template: {
    slug: string;
    name: string;
    /** The version this workspace is pinned to. */
    version: number;
    /** The template's newest version; greater than `version` when an update is available. */
    latestVersion: number;
    archived: boolean;
  };
  /** Whether the actor may start, stop, retry and delete it. */
  canOperate: boolean;
  /** Whether the actor may open its terminal and IDE (its owner, or a holder of an access grant). */
  canConnect: boolean;
}

export interface ListWorkspacesInput {
  /** Only this team's workspaces; every team the actor can see otherwise. */
  teamId?: string;
  /** "mine": the actor's own; "team": everyone's the actor looks after (team owners and admins, platform admins). */
  scope: "mine" | "team";
}

/** What to load with a workspace for the list and the workspace page. */
export const workspaceListInclude = {
  owner: { select: { id: true, name: true, email: true } },
  team: { select: { id: true, slug: true, name: true } },
  templateVersion: {
    select: {
      version: true,
      template: {
        select: { slug: true, name: true, archivedAt: true, versions: { select: { version: true }, orderBy: { version: "desc" }, take: 1 } },
      },
    },
  },
} satisfies Prisma.WorkspaceInclude;

/** A row of workspaceListInclude's, with its grants in force (granteesInForce) loaded as `accessGrants`. */
type WorkspaceRow = Prisma.WorkspaceGetPayload<{ include: typeof workspaceListInclude }> & { accessGrants: readonly { userId: string }[] };

/** The resources in Workspace.parameters ({ cpu, memoryGiB, diskGiB, values }); unknown shapes read as zero. */
export function resourcesOf(parameters: Prisma.JsonValue): WorkspaceResources {
  const record = parameters !== null && typeof parameters === "object" && !Array.isArray(parameters) ? parameters : {};
  const number = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0);
  return { cpu: number(record.cpu), memoryGiB: number(record.memoryGiB), diskGiB: number(record.diskGiB) };
}

export function toListItem(actor: Actor, row: WorkspaceRow): WorkspaceListItem {
  const resource = { teamId: row.teamId, ownerId: row.ownerId };
  const template = row.templateVersion.template;
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    desiredState: row.desiredState,
    stateReason: row.stateReason,
    stateChangedAt: row.stateChangedAt,
    startedAt: row.startedAt,
    lastActivityAt: row.lastActivityAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    gitRepository: row.gitRepository,
    resources: resourcesOf(row.parameters),
    owner: row.owner,
    team: row.team,
    template: {
      slug: template.slug,
      name: template.name,
      version: row.templateVersion.version,
      latestVersion: Math.max(row.templateVersion.version, template.versions[0]?.version ?? 0),
      archived: template.archivedAt !== null,
    },
    canOperate: can(actor, "workspace:operate", resource),
    canConnect: can(actor, "workspace:connect", connectResource(row)),
  };
}

/**
 * Whether the actor looks after every workspace in the team (team owners and
 * admins, platform admins), as opposed to only their own. Asked of `can`
 * with a workspace that belongs to someone else.
 */
export function seesTeamWorkspaces(actor: Actor, teamId: string): boolean {
  return can(actor, "workspace:view", { teamId, ownerId: `not-${actor.id}` });
}

/**
 * The actor's workspaces ("mine") or the team's ("team"), newest first,
 * without deleted ones. A team out of the actor's reach answers not found;
 * a team member asking for the team's sees only their own.
 */
export async function listWorkspacesFor(actor: Actor, input: ListWorkspacesInput): Promise<WorkspaceListItem[]> {
  if (input.teamId !== undefined && !can(actor, "team:view", { teamId: input.teamId })) {
    throw new AppError("not_found", "Team not found.");
  }
  const where: Prisma.WorkspaceWhereInput = {
    state: { not: "DELETED" },
    ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
    ...(input.scope === "mine"
      ? { ownerId: actor.id }
      : // Platform admins look after every team; everyone else only the teams they belong to.
        actor.isPlatformAdmin || input.teamId !== undefined
        ? {}
        : { teamId: { in: [...actor.roles.keys()] } }),
  };
  const rows = await getDb().workspace.findMany({
    where,
    include: { ...workspaceListInclude, accessGrants: granteesInForce() },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
  });
  return rows.filter((row) => can(actor, "workspace:view", { teamId: row.teamId, ownerId: row.ownerId })).map((row) => toListItem(actor, row));
}
