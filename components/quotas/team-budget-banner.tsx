import { BudgetBanner } from "@/components/quotas/budget-banner";
import { teamBudget } from "@/lib/quotas/budget";
import { teamQuotaRows } from "@/lib/quotas/limits";

/** The selected team's budget banner, shown on every page once the team has used 80 % of it. */
async function TeamBudgetBanner({ team }: { team: { id: string; slug: string; name: string } }) {
  const { effective } = await teamQuotaRows(team.id);
  if (effective.monthlyCpuCoreHours === null) return null;
  const budget = await teamBudget(team.id, { budgetCoreHours: effective.monthlyCpuCoreHours });
  if (!budget) return null;
  return (
    <div className="mb-6">
      <BudgetBanner teamName={team.name} budget={budget} quotasHref={`/teams/${team.slug}/settings/quotas`} stopsAtBudget={effective.stopAtBudget} />
    </div>
  );
}

export { TeamBudgetBanner };
