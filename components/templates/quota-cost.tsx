import { CircleAlert, CircleCheck } from "lucide-react";

import { formatNumber } from "@/lib/format";
import type { WorkspaceParameters } from "@/lib/templates/parameters";
import type { BudgetStatus } from "@/lib/quotas/budget";
import { headroom, type TeamLimits, type TeamUsage } from "@/lib/quotas/usage";
import { cn } from "@/lib/utils";

type QuotaCostProps = {
  teamName: string;
  /** What one workspace with the template's defaults takes. */
  cost: Pick<WorkspaceParameters, "cpu" | "memoryGiB" | "diskGiB">;
  usage: TeamUsage;
  limits: TeamLimits;
  /** The team's monthly CPU budget; null when it has none. */
  budget?: BudgetStatus | null;
};

type Line = { label: string; fits: boolean; text: string };

function resourceLine(label: string, need: number, left: number | null, limit: number | null, unit: string): Line {
  const amount = `${formatNumber(need)} ${unit}`;
  if (left === null || limit === null) return { label, fits: true, text: `uses ${amount}; your team has no ${label.toLowerCase()} limit` };
  if (need > left) return { label, fits: false, text: `needs ${amount}, but your team has only ${formatNumber(left)} of its ${formatNumber(limit)} left` };
  return { label, fits: true, text: `uses ${formatNumber(need)} of the ${formatNumber(left)} ${unit} your team has left` };
}

function countLine(label: string, left: number | null, limit: number | null, noun: string): Line {
  if (left === null || limit === null) return { label, fits: true, text: `your team has no limit on ${noun}` };
  if (left < 1) return { label, fits: false, text: `your team has used all ${formatNumber(limit)} of its ${noun}` };
  return { label, fits: true, text: `uses 1 of the ${formatNumber(left)} ${noun} your team has left` };
}

/**
 * What a workspace from this template costs against the team's quota, shown
 * before any form is filled: a new workspace starts running, so it takes CPU,
 * memory, disk, a workspace and a running workspace.
 */
function budgetLine(budget: BudgetStatus | null | undefined): Line {
  const label = "Monthly CPU budget";
  if (!budget) return { label, fits: true, text: "your team has no monthly CPU budget" };
  const used = `${formatNumber(budget.usedCoreHours)} of its ${formatNumber(budget.budgetCoreHours)} core-hours`;
  if (budget.level === "exhausted") return { label, fits: false, text: `your team has used ${used} this month: new workspaces can't start` };
  return { label, fits: true, text: `your team has used ${used} this month` };
}

function QuotaCost({ teamName, cost, usage, limits, budget }: QuotaCostProps) {
  const left = headroom(usage, limits);
  const lines: Line[] = [
    resourceLine("CPU", cost.cpu, left.cpuCores, limits.cpuCores, cost.cpu === 1 ? "CPU core" : "CPU cores"),
    resourceLine("Memory", cost.memoryGiB, left.memoryGiB, limits.memoryGiB, "GiB of memory"),
    resourceLine("Storage", cost.diskGiB, left.storageGiB, limits.storageGiB, "GiB of storage"),
    countLine("Workspaces", left.workspaces, limits.workspaces, "workspaces"),
    countLine("Running workspaces", left.runningWorkspaces, limits.runningWorkspaces, "running workspaces"),
    budgetLine(budget),
  ];
  const fits = lines.every((line) => line.fits);

  return (
    <div className="flex flex-col gap-3">
      <p className={cn("flex items-center gap-2 text-sm font-medium", fits ? "text-success" : "text-destructive")}>
        {fits ? <CircleCheck aria-hidden="true" className="size-4" /> : <CircleAlert aria-hidden="true" className="size-4" />}
        {fits
          ? `A workspace with the default settings fits in ${teamName}'s quota.`
          : `A workspace with the default settings doesn't fit in ${teamName}'s quota right now.`}
      </p>
      <ul className="flex flex-col gap-1.5 text-sm">
        {lines.map((line) => (
          <li key={line.label} className="flex flex-wrap gap-x-2">
            <span className="w-40 shrink-0 text-muted-foreground">{line.label}</span>
            <span className={cn(!line.fits && "font-medium text-destructive")}>{line.text}</span>
          </li>
        ))}
      </ul>
      <p className="text-xs text-muted-foreground">
        In use now: {formatNumber(usage.cpuCores)} CPU cores, {formatNumber(usage.memoryGiB)} GiB memory, {formatNumber(usage.storageGiB)} GiB storage,{" "}
        {usage.runningWorkspaces} of {usage.workspaces} {usage.workspaces === 1 ? "workspace" : "workspaces"} running.
      </p>
    </div>
  );
}

export { QuotaCost };
