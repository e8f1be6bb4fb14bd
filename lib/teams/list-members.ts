import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import type { Cursor } from "@/lib/pagination/cursor";
import { keysetPage, type Page } from "@/lib/pagination/keyset";
import { TEAM_ROLES, type MemberListQuery } from "@/lib/schemas/teams";
import { teamNotFound } from "./access";
import { memberInclude, toMemberView, type MemberView } from "./member-view";

export const MEMBER_PAGE_SIZE = 50;

export interface MemberPage extends Page<MemberView> {
  /** How many members the team has, whatever the search. */
  total: number;
}

type MemberKey = [role: TeamRole, email: string];

/**
 * The members after (or before) the cursor in the list's order: owners, then
 * admins, then members (the enum's order, TEAM_ROLES), each by email.
 */
function memberSlice(cursor: Cursor<MemberKey> | undefined) {
  const before = cursor?.direction === "before";
  const order: Prisma.SortOrder = before ? "desc" : "asc";
  const orderBy = [{ role: order }, { user: { email: order } }];
  if (!cursor) return { where: {}, orderBy };
  const [role, email] = cursor.key;
  const rank = TEAM_ROLES.indexOf(role);
  // Enums have no greater-than in Prisma's filters; the roles beyond this one, listed, do.
  const beyondRoles = before ? TEAM_ROLES.slice(0, rank) : TEAM_ROLES.slice(rank + 1);
  const where: Prisma.MembershipWhereInput = {
    OR: [{ role: { in: [...beyondRoles] } }, { role, user: { email: before ? { lt: email } : { gt: email } } }],
  };
  return { where, orderBy };
}

/** A team's members, owners first, then by email, a page at a time; `q` searches their names and emails. */
export async function listMembers(actor: Actor, teamId: string, query: MemberListQuery = { q: "", cursor: undefined }): Promise<MemberPage> {
  if (!can(actor, "team:view", { teamId })) throw teamNotFound();
  const db = getDb();
  const q = query.q.trim();
  const where: Prisma.MembershipWhereInput = {
    teamId,
    ...(q ? { user: { OR: [{ email: { contains: q, mode: "insensitive" } }, { name: { contains: q, mode: "insensitive" } }] } } : {}),
  };
  const [page, total] = await Promise.all([
    keysetPage({
      cursor: query.cursor,
      size: MEMBER_PAGE_SIZE,
      fetch: (cursor, take) => {
        const slice = memberSlice(cursor);
        return db.membership.findMany({ where: { AND: [where, slice.where] }, include: memberInclude, orderBy: slice.orderBy, take });
      },
      keyOf: (membership): MemberKey => [membership.role, membership.user.email],
    }),
    db.membership.count({ where: { teamId } }),
  ]);
  return { ...page, items: page.items.map(toMemberView), total };
}
