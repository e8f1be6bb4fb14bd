import { cookies } from "next/headers";
import type { TeamSummary } from "@/lib/auth/current-user";

/** Holds the slug of the team the user last switched to. */
export const TEAM_COOKIE = "podspace-team";

/**
 * The team with this slug among the user's teams, else the one they joined
 * first, else null. Not the first by name: being added to another team must
 * not switch the team someone works in without their choosing it.
 */
export function pickTeam(teams: readonly TeamSummary[], slug: string | undefined): TeamSummary | null {
  const chosen = teams.find((team) => team.slug === slug);
  if (chosen) return chosen;
  return teams.reduce<TeamSummary | null>((first, team) => (first === null || team.joinedAt < first.joinedAt ? team : first), null);
}

/** The team the signed-in user is working in, from the team cookie. */
export async function selectedTeam(user: { teams: readonly TeamSummary[] }): Promise<TeamSummary | null> {
  return pickTeam(user.teams, (await cookies()).get(TEAM_COOKIE)?.value);
}
