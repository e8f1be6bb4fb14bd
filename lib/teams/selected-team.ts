import { cookies } from "next/headers";
import type { TeamSummary } from "@/lib/auth/current-user";

/** Holds the slug of the team the user last switched to. */
export const TEAM_COOKIE = "podspace-team";

/** The team with this slug among the user's teams, else their first team, else null. */
export function pickTeam(teams: readonly TeamSummary[], slug: string | undefined): TeamSummary | null {
  return teams.find((team) => team.slug === slug) ?? teams[0] ?? null;
}

/** The team the signed-in user is working in, from the team cookie. */
export async function selectedTeam(user: { teams: readonly TeamSummary[] }): Promise<TeamSummary | null> {
  return pickTeam(user.teams, (await cookies()).get(TEAM_COOKIE)?.value);
}
