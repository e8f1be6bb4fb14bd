import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import type { TeamRef } from "./access";

export interface TeamListItem extends TeamRef {
  memberCount: number;
  /** The actor's own role; null where a platform admin isn't a member. */
  role: TeamRole | null;
}

/**
 * The teams an actor sees: platform admins every team, archived ones
 * included; everyone else the active teams they belong to.
 */
export async function listTeamsFor(actor: Actor): Promise<TeamListItem[]> {
  const teams = await getDb().team.findMany({
    where: actor.isPlatformAdmin ? {} : { archivedAt: null, memberships: { some: { userId: actor.id } } },
    include: {
      memberships: { where: { userId: actor.id }, select: { role: true } },
      _count: { select: { memberships: true } },
    },
    orderBy: [{ name: "asc" }, { slug: "asc" }],
  });
  return teams.map((team) => ({
    id: team.id,
    slug: team.slug,
    name: team.name,
    archivedAt: team.archivedAt,
    memberCount: team._count.memberships,
    role: team.memberships[0]?.role ?? null,
  }));
}
