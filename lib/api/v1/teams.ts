import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { teamNotFound } from "@/lib/teams/access";

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
