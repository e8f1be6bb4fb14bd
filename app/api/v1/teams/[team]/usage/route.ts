import { apiRoute, json } from "@/lib/api/route";
import { apiUsageReport, teamUsageQuery, toApiUsageReport } from "@/lib/api/v1/schemas";
import { teamInPath } from "@/lib/api/v1/teams";
import { periodOf, queryInput } from "@/lib/usage/period";
import { usageReport } from "@/lib/usage/report";

// GET /api/v1/teams/<slug>/usage?period=…&by=…: the team's usage page as data, from the same report.
export const GET = apiRoute<{ team: string }>("read", async ({ request, actor, params }) => {
  // The team first: to a token that can't see it, a bad query is none of its business.
  const team = await teamInPath(actor, params.team);
  const query = teamUsageQuery.parse(queryInput(new URL(request.url).searchParams));
  const period = periodOf(query);
  return json(apiUsageReport.parse(toApiUsageReport(team, period, query.by, await usageReport(team.id, period, query.by))));
});
