import { BudgetBanner } from "@/components/quotas/budget-banner";
import { HiddenOnPage } from "@/components/quotas/hidden-on-page";
import { teamBudget } from "@/lib/quotas/budget";
import { teamQuotaRows } from "@/lib/quotas/limits";

/** The selected team's budget banner, shown on every page but its quotas page once the team has used 80 % of it. */
async function TeamBudgetBanner({ team }: { team: { id: string; slug: string; name: string } }) {
  const { effective } = await teamQuotaRows(team.id);
  if (effective.monthlyCpuCoreHours === null) return null;
  const budget = await teamBudget(team.id, { budgetCoreHours: effective.monthlyCpuCoreHours });
  if (!budget) return null;
  const quotasHref = `/teams/${team.slug}/settings/quotas`;
  return (
    <HiddenOnPage path={quotasHref}>
      <div className="mb-6">
        <BudgetBanner teamName={team.name} budget={budget} quotasHref={quotasHref} stopsAtBudget={effective.stopAtBudget} />
      </div>
    </HiddenOnPage>
  );
}

export { TeamBudgetBanner };
