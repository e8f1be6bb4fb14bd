import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { teamNotFound } from "@/lib/teams/access";
import { getTeamForActor, type TeamView } from "@/lib/teams/get-team";
import { ONE_TEAM } from "./team-path";

/**
 * The id of the team an API request names by slug. A member of one team may
 * leave it out; a platform admin (under the admin scope) may name any team.
 */
export async function teamIdFromSlug(actor: CurrentUser, slug: string | undefined): Promise<string> {
  if (slug === undefined) {
    if (actor.teams.length === 1) return actor.teams[0]!.id;
    throw new AppError(
      "invalid",
      actor.teams.length === 0 ? "This token reaches no team." : `Name a team: ${actor.teams.map((team) => team.slug).join(", ")}.`,
      "team",
    );
  }
  const own = actor.teams.find((team) => team.slug === slug);
  if (own) return own.id;
  const team = actor.isPlatformAdmin ? await getDb().team.findUnique({ where: { slug }, select: { id: true } }) : null;
  if (!team) throw teamNotFound();
  return team.id;
}

/**
 * The team a /teams/{team}/… route names, if its pages would show it to the
 * actor (getTeamForActor, as they do); ONE_TEAM is the team teamIdFromSlug
 * takes when none is named. Out of reach, it is not found, as a team that doesn't exist.
 */
export async function teamInPath(actor: CurrentUser, segment: string): Promise<TeamView> {
  let slug = segment;
  if (segment === ONE_TEAM) {
    const id = await teamIdFromSlug(actor, undefined);
    slug = actor.teams.find((team) => team.id === id)!.slug;
  }
  const team = await getTeamForActor(actor, slug);
  if (!team) throw teamNotFound();
  return team;
}
