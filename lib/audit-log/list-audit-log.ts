import { AUDIT_ACTIONS, TEAM_AUDIT_ACTIONS } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { keysetPage, type Page } from "@/lib/pagination/keyset";
import { newestFirstKey, newestFirstSlice } from "@/lib/pagination/newest-first";
import { AUDIT_PAGE_SIZE, type AuditFilter } from "@/lib/schemas/audit";
import { targetLabels } from "./target-labels";

// The audit log as its readers may see it: platform admins everything, team
// owners the entries of the teams they own (and nothing without a team, such
// as sign-ins and user administration). Newest first, a page at a time from a
// cursor: no count and no offset, which grow with the log.

export interface AuditEntryView {
  id: string;
  createdAt: Date;
  action: string;
  actor: { email: string; name: string | null } | null;
  /** How the actor acted, when not through the pages: "token <name>". */
  via: string | null;
  team: { slug: string; name: string } | null;
  targetType: string;
  targetId: string | null;
  /** What the target is called (an email, a slug, a workspace's name), when it still exists. */
  targetLabel: string | null;
  before: Prisma.JsonValue;
  after: Prisma.JsonValue;
}

export interface AuditPage extends Page<AuditEntryView> {
  /** Filter choices: the teams and actions this reader can see. */
  teams: Array<{ slug: string; name: string }>;
  actions: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The teams whose entries the actor may read; null for all (platform admins). */
function readableTeamIds(actor: Actor): string[] | null {
  if (actor.isPlatformAdmin) return null;
  return [...actor.roles.keys()].filter((teamId) => can(actor, "audit:view", { teamId }));
}

export function canReadAuditLog(actor: Actor): boolean {
  const teams = readableTeamIds(actor);
  return teams === null || teams.length > 0;
}

export async function listAuditLog(actor: Actor, filter: AuditFilter): Promise<AuditPage> {
  const teamIds = readableTeamIds(actor);
  if (teamIds !== null && teamIds.length === 0) throw new AppError("forbidden", "Only platform admins and team owners can read the audit log.");
  const db = getDb();
  const teams = await db.team.findMany({
    where: teamIds === null ? {} : { id: { in: teamIds } },
    select: { id: true, slug: true, name: true },
    orderBy: { name: "asc" },
  });
  const chosen = filter.team ? teams.find((team) => team.slug === filter.team) : undefined;
  const where: Prisma.AuditLogWhereInput = {
    // The chosen team by its id, which the (teamId, createdAt, id) index serves: one
    // of the readable teams, or nothing when out of reach. Otherwise every readable team.
    ...(filter.team ? { teamId: chosen?.id ?? { in: [] } } : teamIds === null ? {} : { teamId: { in: teamIds } }),
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.actor
      ? { actor: { OR: [{ email: { contains: filter.actor, mode: "insensitive" } }, { name: { contains: filter.actor, mode: "insensitive" } }] } }
      : {}),
    ...(filter.from || filter.to
      ? {
          createdAt: {
            ...(filter.from ? { gte: new Date(`${filter.from}T00:00:00Z`) } : {}),
            // Through the end of the "to" day.
            ...(filter.to ? { lt: new Date(new Date(`${filter.to}T00:00:00Z`).getTime() + DAY_MS) } : {}),
          },
        }
      : {}),
  };

  const page = await keysetPage({
    cursor: filter.cursor,
    size: AUDIT_PAGE_SIZE,
    fetch: (cursor, take) => {
      const slice = newestFirstSlice(cursor);
      return db.auditLog.findMany({
        where: { AND: [where, slice.where] },
        orderBy: slice.orderBy,
        take,
        include: { actor: { select: { email: true, name: true } }, team: { select: { slug: true, name: true } } },
      });
    },
    keyOf: newestFirstKey,
  });
  // The known actions, not a scan of the log for the ones it holds; a team owner sees only teams' entries.
  const actions = [...(teamIds === null ? AUDIT_ACTIONS : TEAM_AUDIT_ACTIONS)].sort();
  const labelOf = await targetLabels(page.items);
  return {
    ...page,
    items: page.items.map((row) => ({
      id: row.id,
      createdAt: row.createdAt,
      action: row.action,
      actor: row.actor,
      via: row.via,
      team: row.team,
      targetType: row.targetType,
      targetId: row.targetId,
      targetLabel: labelOf(row.targetType, row.targetId),
      before: row.before,
      after: row.after,
    })),
    teams: teams.map(({ slug, name }) => ({ slug, name })),
    actions,
  };
}

const isObject = (value: Prisma.JsonValue | undefined): value is Prisma.JsonObject => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * The fields an entry changed, before → after; for entries with only one
 * side, that side's fields. Where both sides hold an object (a template
 * version's spec), the fields inside it that changed, by dotted name
 * ("spec.description"), rather than the whole object twice.
 */
export function auditChanges(before: Prisma.JsonValue, after: Prisma.JsonValue): Array<{ field: string; before: string; after: string }> {
  return changesUnder("", before, after);
}

function changesUnder(prefix: string, before: Prisma.JsonValue, after: Prisma.JsonValue): Array<{ field: string; before: string; after: string }> {
  const b = isObject(before) ? before : {};
  const a = isObject(after) ? after : {};
  const show = (value: Prisma.JsonValue | undefined) => (value === undefined ? "" : value === null ? "none" : typeof value === "string" ? value : JSON.stringify(value));
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((field) => JSON.stringify(b[field]) !== JSON.stringify(a[field]))
    .flatMap((field) =>
      isObject(b[field]) && isObject(a[field])
        ? changesUnder(`${prefix}${field}.`, b[field], a[field])
        : [{ field: `${prefix}${field}`, before: show(b[field]), after: show(a[field]) }],
    );
}
