import Link from "next/link";
import { Download } from "lucide-react";

import { UsageChart } from "@/components/usage/usage-chart";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { TeamLimits, TeamUsage } from "@/lib/quotas/usage";
import { formatNumber } from "@/lib/format";
import { formatAmount } from "@/lib/usage/format";
import { BREAKDOWNS, PERIODS, dayString, daysOf, lastDay, type Breakdown, type Period } from "@/lib/usage/period";
import type { UsageReport } from "@/lib/usage/report";

// The usage page's body, for one team or for every team: the period form,
// the figures, quota bars (a team's), the chart with its table, the top
// workspaces and the CSV export of the same period.

export interface DashboardProps {
  /** Where the page lives; the form submits here. */
  path: string;
  /** The export's team slug; null exports every team. */
  teamSlug: string | null;
  period: Period;
  by: Breakdown;
  breakdowns: Breakdown[];
  report: UsageReport;
  quota?: { usage: TeamUsage; limits: TeamLimits };
  /** Why the submitted period was refused; the default period is shown instead. */
  error?: string;
}

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="flex flex-col gap-1 rounded-lg border bg-card p-4">
      <dt className="text-sm text-muted-foreground">{label}</dt>
      <dd className="text-2xl font-semibold tabular-nums">{value}</dd>
      {hint ? <dd className="text-xs text-muted-foreground">{hint}</dd> : null}
    </div>
  );
}

const QUOTA_BARS: Array<{ key: keyof TeamUsage; label: string; unit: string }> = [
  { key: "cpuCores", label: "CPU", unit: "cores" },
  { key: "memoryGiB", label: "Memory", unit: "GiB" },
  { key: "storageGiB", label: "Storage", unit: "GiB" },
  { key: "workspaces", label: "Workspaces", unit: "" },
  { key: "runningWorkspaces", label: "Running workspaces", unit: "" },
];

function QuotaBars({ usage, limits }: { usage: TeamUsage; limits: TeamLimits }) {
  return (
    <section aria-labelledby="quota-heading" className="flex flex-col gap-3">
      <h2 id="quota-heading" className="text-base font-semibold">
        Now, against the team&apos;s limits
      </h2>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {QUOTA_BARS.map(({ key, label, unit }) => {
          const used = usage[key];
          const limit = limits[key];
          const share = limit ? Math.min(1, used / limit) : 0;
          // Counts, cores and GiB as the quota pages write them ("8", "2.5"), not as usage amounts ("8.00").
          const text = limit === null ? `${formatNumber(used)} ${unit} · no limit` : `${formatNumber(used)} of ${formatNumber(limit)} ${unit}`;
          return (
            <li key={key} className="flex flex-col gap-1.5">
              <div className="flex justify-between text-sm">
                <span className="font-medium">{label}</span>
                <span className="text-muted-foreground tabular-nums">{text}</span>
              </div>
              <div
                role="meter"
                aria-label={label}
                aria-valuemin={0}
                aria-valuemax={limit ?? undefined}
                aria-valuenow={used}
                aria-valuetext={text}
                className="h-2 overflow-hidden rounded-full bg-muted"
              >
                <div className={share >= 0.9 ? "h-full bg-destructive" : "h-full bg-primary"} style={{ width: `${share * 100}%` }} />
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function PeriodForm({ path, period, by, breakdowns, error }: Pick<DashboardProps, "path" | "period" | "by" | "breakdowns" | "error">) {
  return (
    <form action={path} method="get" className="flex flex-wrap items-end gap-3" aria-describedby={error ? "period-error" : undefined}>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="period">Period</Label>
        <Select id="period" name="period" defaultValue={period.kind} className="w-40">
          {Object.entries(PERIODS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </Select>
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="from">From</Label>
        <Input id="from" name="from" type="date" defaultValue={dayString(period.from)} aria-invalid={error ? true : undefined} className="w-40" />
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="to">To</Label>
        <Input id="to" name="to" type="date" defaultValue={dayString(lastDay(period))} aria-invalid={error ? true : undefined} className="w-40" />
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="by">Stack by</Label>
        <Select id="by" name="by" defaultValue={by} className="w-36">
          {breakdowns.map((value) => (
            <option key={value} value={value}>
              {BREAKDOWNS[value]}
            </option>
          ))}
        </Select>
      </div>
      <Button type="submit" variant="outline">
        Show
      </Button>
      <p className="basis-full text-xs text-muted-foreground">From and To apply to a custom range; days are UTC.</p>
      {error ? (
        <p id="period-error" role="alert" className="basis-full text-sm text-destructive">
          {error}
        </p>
      ) : null}
    </form>
  );
}

export function UsageDashboard(props: DashboardProps) {
  const { report, period, teamSlug } = props;
  const { totals } = report;
  const exportQuery = new URLSearchParams({
    ...(teamSlug ? { team: teamSlug } : {}),
    period: "custom",
    from: dayString(period.from),
    to: dayString(lastDay(period)),
  });

  return (
    <div className="flex flex-col gap-6">
      <Card>
        <CardContent className="flex flex-col gap-4">
          <PeriodForm {...props} />
          <div>
            <Button asChild variant="secondary" size="sm">
              <a href={`/api/usage/export?${exportQuery}`} download>
                <Download aria-hidden="true" />
                Export CSV
              </a>
            </Button>
          </div>
        </CardContent>
      </Card>

      <section aria-labelledby="figures-heading" className="flex flex-col gap-3">
        <h2 id="figures-heading" className="text-base font-semibold">
          {dayString(period.from)} to {dayString(lastDay(period))}
        </h2>
        <dl className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          <Figure label="CPU core-hours" value={formatAmount(totals.cpuCoreHours)} />
          <Figure label="Memory GiB-hours" value={formatAmount(totals.memoryGiBHours)} />
          <Figure label="Storage GiB-days" value={formatAmount(totals.storageGiBDays)} />
          <Figure label="Workspace-hours" value={formatAmount(totals.workspaceHours)} />
          <Figure label="Backup GiB-days" value={formatAmount(totals.backupGiBDays)} hint="the team's backups, measured daily" />
          <Figure label="Active users" value={String(totals.activeUsers)} hint="ran a workspace in the period" />
          <Figure
            label="Average session"
            value={totals.averageSessionHours === null ? "—" : `${formatAmount(totals.averageSessionHours)} h`}
            hint={`${totals.sessions} ${totals.sessions === 1 ? "session" : "sessions"} ended`}
          />
        </dl>
      </section>

      {props.quota ? <QuotaBars {...props.quota} /> : null}

      <UsageChart days={daysOf(period)} keys={report.keys} series={report.series} breakdownLabel={BREAKDOWNS[props.by]} />

      <section aria-labelledby="top-heading" className="flex flex-col gap-3">
        <h2 id="top-heading" className="text-base font-semibold">
          Top workspaces
        </h2>
        {report.topWorkspaces.length === 0 ? (
          <p className="text-sm text-muted-foreground">No workspace used resources in this period.</p>
        ) : (
          <Table aria-label="Top workspaces">
            <TableHeader>
              <TableRow>
                <TableHead>Workspace</TableHead>
                {teamSlug ? null : <TableHead>Team</TableHead>}
                <TableHead>Owner</TableHead>
                <TableHead>Template</TableHead>
                <TableHead className="text-right">CPU core-h</TableHead>
                <TableHead className="text-right">Memory GiB-h</TableHead>
                <TableHead className="text-right">Storage GiB-d</TableHead>
                <TableHead className="text-right">Hours</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {report.topWorkspaces.map((workspace) => (
                <TableRow key={workspace.id}>
                  <TableCell>
                    {workspace.deleted ? (
                      <span className="flex items-center gap-2">
                        {workspace.name} <Badge variant="outline">Deleted</Badge>
                      </span>
                    ) : (
                      <Link href={`/workspaces/${workspace.id}`} className="font-medium underline-offset-4 hover:underline">
                        {workspace.name}
                      </Link>
                    )}
                  </TableCell>
                  {teamSlug ? null : <TableCell>{workspace.team}</TableCell>}
                  <TableCell className="text-muted-foreground">{workspace.owner}</TableCell>
                  <TableCell>{workspace.template}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatAmount(workspace.cpuCoreHours)}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatAmount(workspace.memoryGiBHours)}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatAmount(workspace.storageGiBDays)}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatAmount(workspace.workspaceHours)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </section>
    </div>
  );
}
