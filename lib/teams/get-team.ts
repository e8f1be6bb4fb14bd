import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import { teamRefSelect, type TeamRef } from "./access";

export interface TeamView extends TeamRef {
  /** The actor's role in the team; null for a platform admin who isn't a member. */
  role: TeamRole | null;
}

/** The team with this slug, or null when it doesn't exist or is out of the actor's reach. */
export async function getTeamForActor(actor: Actor, slug: string): Promise<TeamView | null> {
  const team = await getDb().team.findUnique({
    where: { slug },
    select: teamRefSelect,
  });
  if (!team || !can(actor, "team:view", { teamId: team.id })) return null;
  return { ...team, role: actor.roles.get(team.id) ?? null };
}
