import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { AppError } from "@/lib/errors";
import type { Cursor } from "@/lib/pagination/cursor";
import { keysetPage, type Page } from "@/lib/pagination/keyset";
import { newestFirstKey, newestFirstSlice, type NewestFirstKey } from "@/lib/pagination/newest-first";
import type { WorkspaceStateFilter } from "@/lib/schemas/workspaces";
import { connectResource, granteesInForce } from "./access-grants";

// The workspaces a user sees on /workspaces: their own, and the whole team's
// for team owners and admins, newest first, a page at a time. The query asks
// for exactly what `can(actor, "workspace:view")` allows, so that pages come
// out full and an index serves them (prisma/schema.prisma); every row is
// checked with `can` all the same, so the list never shows more than the
// workspace page would.

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
  /** Only those whose name or template's name contains this (any case), or on team lists their owner's name or email. */
  q?: string;
  state?: WorkspaceStateFilter;
  /** Where the page starts; the newest first without one. */
  cursor?: Cursor<NewestFirstKey>;
  /** Only these (an API token bound to a list of workspaces). */
  ids?: readonly string[];
}

export interface WorkspacePage extends Page<WorkspaceListItem> {
  /** How many workspaces match, over every page. */
  total: number;
}

export const WORKSPACE_PAGE_SIZE = 50;

/** The observed states each filter lets through; "all" is every state but DELETED. */
const FILTER_STATES: Record<WorkspaceStateFilter, WorkspaceState[]> = {
  all: ["PENDING", "STARTING", "RUNNING", "STOPPING", "STOPPED", "FAILED", "DELETING"],
  running: ["RUNNING"],
  stopped: ["STOPPED"],
  failed: ["FAILED"],
  "in-progress": ["PENDING", "STARTING", "STOPPING", "DELETING"],
};

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

/** One id as itself, so that PostgreSQL walks the (teamId, createdAt, id) index in order; several as IN. */
const oneOf = (ids: string[]) => (ids.length === 1 ? ids[0]! : { in: ids });

/** The workspaces `can(actor, "workspace:view")` allows in the list, as a query. */
function visibleTo(actor: Actor, input: ListWorkspacesInput): Prisma.WorkspaceWhereInput {
  // Platform admins look after every team; everyone else only the teams they belong to.
  const teamIds = input.teamId !== undefined ? [input.teamId] : actor.isPlatformAdmin ? null : [...actor.roles.keys()];
  if (input.scope === "mine") return { ownerId: actor.id, ...(teamIds ? { teamId: oneOf(teamIds) } : {}) };
  if (teamIds === null) return {};
  const lookedAfter = teamIds.filter((teamId) => seesTeamWorkspaces(actor, teamId));
  const ownOnly = teamIds.filter((teamId) => !lookedAfter.includes(teamId));
  const everyones = { teamId: oneOf(lookedAfter) };
  const own = { teamId: oneOf(ownOnly), ownerId: actor.id };
  if (ownOnly.length === 0) return everyones;
  return lookedAfter.length === 0 ? own : { OR: [everyones, own] };
}

/** Name or template contains `q`; on team lists, the owner's name or email too. */
function matching(q: string, scope: ListWorkspacesInput["scope"]): Prisma.WorkspaceWhereInput {
  if (!q) return {};
  const contains = { contains: q, mode: "insensitive" } as const;
  return {
    OR: [
      { name: contains },
      { templateVersion: { template: { name: contains } } },
      ...(scope === "team" ? [{ owner: { OR: [{ name: contains }, { email: contains }] } }] : []),
    ],
  };
}

/**
 * A page of the actor's workspaces ("mine") or the team's ("team"), newest
 * first, without deleted ones, and how many match. A team out of the actor's
 * reach answers not found; a team member asking for the team's sees only
 * their own.
 */
export async function listWorkspacesFor(actor: Actor, input: ListWorkspacesInput): Promise<WorkspacePage> {
  if (input.teamId !== undefined && !can(actor, "team:view", { teamId: input.teamId })) {
    throw new AppError("not_found", "Team not found.");
  }
  const db = getDb();
  const where: Prisma.WorkspaceWhereInput = {
    AND: [
      visibleTo(actor, input),
      // A warm pool's members are nobody's until claimed; the team's settings page lists them.
      { warmPoolId: null },
      { state: { in: FILTER_STATES[input.state ?? "all"] } },
      matching(input.q?.trim() ?? "", input.scope),
      input.ids ? { id: { in: [...input.ids] } } : {},
    ],
  };
  const [page, total] = await Promise.all([
    keysetPage({
      cursor: input.cursor,
      size: WORKSPACE_PAGE_SIZE,
      fetch: (cursor, take) => {
        const slice = newestFirstSlice(cursor);
        return db.workspace.findMany({
          where: { AND: [where, slice.where] },
          include: { ...workspaceListInclude, accessGrants: granteesInForce() },
          orderBy: slice.orderBy,
          take,
        });
      },
      keyOf: newestFirstKey,
    }),
    db.workspace.count({ where }),
  ]);
  const items = page.items.filter((row) => can(actor, "workspace:view", { teamId: row.teamId, ownerId: row.ownerId })).map((row) => toListItem(actor, row));
  return { ...page, items, total };
}
