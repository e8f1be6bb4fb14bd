import { aiUsageCsv } from "@/lib/ai/ai-report";
import { getCurrentUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { getTeamForActor } from "@/lib/teams/get-team";
import { usageCsv } from "@/lib/usage/export";
import { dayString, lastDay, periodOf, queryInput, usageQuerySchema } from "@/lib/usage/period";

// GET /api/usage/export?team=<slug>&period=month|30d|custom&from=&to=[&kind=ai]
// The usage page's period as CSV: a team's for its members, every team's
// (no team) for platform admins; compute by default, the AI gateway's
// tokens and cost with kind=ai.

const json = (status: number, error: string) => Response.json({ error }, { status, headers: { "Cache-Control": "no-store" } });

export async function GET(request: Request): Promise<Response> {
  const user = await getCurrentUser();
  if (!user) return json(401, "Sign in to export usage.");
  const params = new URL(request.url).searchParams;
  const parsed = usageQuerySchema.safeParse(queryInput(params));
  if (!parsed.success) return json(400, parsed.error.issues[0]!.message);
  const period = periodOf(parsed.data);

  const slug = params.get("team");
  let teamId: string | null = null;
  if (slug) {
    const team = await getTeamForActor(user, slug);
    if (!team) return json(404, "Team not found.");
    teamId = team.id;
  } else if (!can(user, "usage:view-all")) {
    return json(403, "Only platform admins can export every team's usage.");
  }

  const ai = params.get("kind") === "ai";
  const filename = `podspace-${ai ? "ai-" : ""}usage-${slug ?? "all-teams"}-${dayString(period.from)}-to-${dayString(lastDay(period))}.csv`;
  return new Response(ai ? await aiUsageCsv(teamId, period) : usageCsv(teamId, period), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}
