import { apiRoute, json } from "@/lib/api/route";
import { apiTeamQuota, toApiTeamQuota } from "@/lib/api/v1/schemas";
import { teamInPath } from "@/lib/api/v1/teams";
import { quotaOverview } from "@/lib/quotas/overview";

// GET /api/v1/teams/<slug>/quota: the team's quota settings page as data: each limit, what is in use against it, and the budget.
export const GET = apiRoute<{ team: string }>("read", async ({ actor, params }) => {
  const team = await teamInPath(actor, params.team);
  return json(apiTeamQuota.parse(toApiTeamQuota(team, await quotaOverview(team.id))));
});
