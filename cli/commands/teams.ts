import type { TeamQuota, UsageQuery, UsageReport } from "../../lib/sdk/types";
import { text, type Command } from "../command";
import { printTable } from "../output";

// A team's quotas and usage, as its Quotas and Usage pages show them. Without
// --team, the one team the token reaches (the API says which to name when it
// reaches several).

const PERIOD_LABELS: Record<UsageReport["period"]["kind"], string> = { month: "this month", "30d": "the last 30 days", custom: "a custom range" };

/** At most two decimals, as people read amounts. */
const amount = (value: number) => String(Math.round(value * 100) / 100);
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
const limit = (value: number | null) => (value === null ? "no limit" : amount(value));

export const quota: Command = {
  name: "quota",
  usage: "quota [--team <slug>]",
  summary: "Show the team's limits (units in their names; the stricter of the team's limit and the platform's ceiling is enforced), what it uses against each, and its monthly CPU budget",
  options: { team: { type: "string" } },
  async run(context) {
    const answer: TeamQuota = await (await context.client()).teams.quota(text(context.values, "team"));
    context.out.result(answer, () => {
      context.out.line(`Quotas of ${answer.team.name} (${answer.team.slug}):`);
      printTable(
        ["QUOTA", "IN USE", "TEAM LIMIT", "PLATFORM CEILING", "ENFORCED"],
        Object.entries(answer.quotas).map(([name, line]) => [name, line.used === null ? "—" : amount(line.used), limit(line.limit), limit(line.ceiling), limit(line.enforced)]),
      );
      const { budget } = answer;
      if (!budget) return;
      context.out.line(`Monthly CPU budget: ${amount(budget.usedCoreHours)} of ${amount(budget.budgetCoreHours)} core-hours used (${budget.level}).`);
      context.out.line(`At the budget: ${answer.stopAtBudget ? "running workspaces are stopped as well" : "running workspaces keep running until their idle stop"}.`);
    });
  },
};

export const usage: Command = {
  name: "usage",
  usage: "usage [--team <slug>] [--period month|30d|custom] [--from YYYY-MM-DD --to YYYY-MM-DD] [--by user|template]",
  summary: "Show the team's usage over a period (default this month), by user or template, and its top workspaces",
  options: { team: { type: "string" }, period: { type: "string" }, from: { type: "string" }, to: { type: "string" }, by: { type: "string" } },
  async run(context) {
    const { values } = context;
    // The API checks the query, with the usage page's messages.
    const query = { period: text(values, "period"), from: text(values, "from"), to: text(values, "to"), by: text(values, "by") } as UsageQuery;
    const report = await (await context.client()).teams.usage(text(values, "team"), query);
    context.out.result(report, () => printUsage(context.out.line, report));
  },
};

function printUsage(line: (text: string) => void, report: UsageReport): void {
  const { totals } = report;
  line(`Usage of ${report.team.name} (${report.team.slug}), ${PERIOD_LABELS[report.period.kind]}: ${report.period.from} to ${report.period.to}`);
  line(
    `CPU ${amount(totals.cpuCoreHours)} core-hours, memory ${amount(totals.memoryGiBHours)} GiB-hours, storage ${amount(totals.storageGiBDays)} GiB-days, ` +
      `backups ${amount(totals.backupGiBDays)} GiB-days; ${amount(totals.workspaceHours)} workspace-hours in ${count(totals.sessions, "session")} by ${count(totals.activeUsers, "user")}.`,
  );
  const perKey = new Map(report.keys.map(({ key }) => [key, { cpu: 0, memory: 0, storage: 0, hours: 0 }]));
  for (const point of report.series) {
    const sum = perKey.get(point.key);
    if (!sum) continue;
    sum.cpu += point.cpuCoreHours;
    sum.memory += point.memoryGiBHours;
    sum.storage += point.storageGiBDays;
    sum.hours += point.workspaceHours;
  }
  line("");
  printTable(
    [report.by.toUpperCase(), "CPU CORE-H", "MEMORY GIB-H", "STORAGE GIB-D", "WORKSPACE-H"],
    report.keys.map(({ key, label }) => {
      const sum = perKey.get(key)!;
      return [label, amount(sum.cpu), amount(sum.memory), amount(sum.storage), amount(sum.hours)];
    }),
  );
  if (report.topWorkspaces.length === 0) return;
  line("");
  printTable(
    ["WORKSPACE", "OWNER", "TEMPLATE", "CPU CORE-H", "MEMORY GIB-H", "STORAGE GIB-D", "WORKSPACE-H"],
    report.topWorkspaces.map((workspace) => [
      workspace.name + (workspace.deleted ? " (deleted)" : ""),
      workspace.owner,
      workspace.template,
      amount(workspace.cpuCoreHours),
      amount(workspace.memoryGiBHours),
      amount(workspace.storageGiBDays),
      amount(workspace.workspaceHours),
    ]),
  );
}
