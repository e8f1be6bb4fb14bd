import Link from "next/link";
import { CircleAlert, Gauge } from "lucide-react";

import type { BudgetStatus } from "@/lib/quotas/budget";
import { cn } from "@/lib/utils";

const round = (value: number) => String(Math.round(value * 10) / 10);
const monthDay = new Intl.DateTimeFormat("en", { month: "long", day: "numeric", timeZone: "UTC" });

type BudgetBannerProps = {
  teamName: string;
  budget: BudgetStatus;
  /** Where "Quotas" links to; omitted on the quotas page itself. */
  quotasHref?: string;
  /** Also show the budget when under 80 % (the quotas page). */
  showOk?: boolean;
  /** Whether the team's running workspaces are stopped at the budget. */
  stopsAtBudget?: boolean;
};

/** The monthly CPU budget's state: a warning from 80 %, an alert at 100 %. */
function BudgetBanner({ teamName, budget, quotasHref, showOk = false, stopsAtBudget = false }: BudgetBannerProps) {
  if (budget.level === "ok" && !showOk) return null;
  const percent = budget.budgetCoreHours > 0 ? Math.floor((budget.usedCoreHours / budget.budgetCoreHours) * 100) : 100;
  const used = `${teamName} has used ${round(budget.usedCoreHours)} of its ${round(budget.budgetCoreHours)} CPU core-hours this month (${percent} %).`;
  const next = new Date(Date.UTC(budget.monthStart.getUTCFullYear(), budget.monthStart.getUTCMonth() + 1, 1));
  const consequence =
    budget.level === "exhausted"
      ? `New workspaces won't start until ${monthDay.format(next)}${stopsAtBudget ? "; running ones are being stopped." : "; running ones keep running until their idle stop."}`
      : budget.level === "warning"
        ? "At 100 % new workspaces won't start."
        : null;

  return (
    <div
      role={budget.level === "ok" ? "status" : "alert"}
      data-budget={budget.level}
      className={cn(
        "flex items-start gap-3 rounded-md border px-4 py-3 text-sm",
        budget.level === "exhausted" && "border-destructive/40 bg-destructive/10 text-destructive",
        budget.level === "warning" && "border-warning/50 bg-warning/15",
        budget.level === "ok" && "text-muted-foreground",
      )}
    >
      {budget.level === "ok" ? <Gauge aria-hidden="true" className="mt-0.5 size-4 shrink-0" /> : <CircleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0" />}
      <p>
        {used} {consequence}{" "}
        {quotasHref ? (
          <Link href={quotasHref} className="font-medium underline underline-offset-4">
            Quotas
          </Link>
        ) : null}
      </p>
    </div>
  );
}

export { BudgetBanner };
