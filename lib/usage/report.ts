import { getDb } from "@/lib/db/client";
import { dayString, wholeWeeks, type Breakdown, type Period } from "./period";

// The usage dashboard's figures, all from the daily rollups (one row per
// workspace and day), so a page reads a team's days, never its intervals;
// the all-teams page's totals and series by team or template from the
// per-team, per-template days kept with them, and active users from the
// per-user days (rollup.ts).

/** Usage in the units people read: core-hours, GiB-hours, GiB-days, hours. */
export interface Amounts {
  cpuCoreHours: number;
  memoryGiBHours: number;
  storageGiBDays: number;
  workspaceHours: number;
}

export interface SeriesPoint extends Amounts {
  day: string;
  /** The user, template or team id; OTHER for the rest beyond the largest few. */
  key: string;
}

export interface UsageReport {
  totals: Amounts & {
    activeUsers: number;
    sessions: number;
    averageSessionHours: number | null;
    /** The team's backup repository, measured once a day (lib/backups/upkeep.ts), summed over the period's days. */
    backupGiBDays: number;
  };
  /** The series' keys, largest first, with their labels. */
  keys: Array<{ key: string; label: string }>;
  series: SeriesPoint[];
  topWorkspaces: Array<Amounts & { id: string; name: string; owner: string; template: string; team: string; deleted: boolean }>;
}

export const OTHER = "other";
/** More stacked series than this are hard to tell apart: the rest become "Other". */
const MAX_SERIES = 8;
const TOP_WORKSPACES = 10;

type Sums = { cpuMillicoreSeconds: bigint | null; memoryMiBSeconds: bigint | null; storageGiBSeconds: bigint | null; workspaceSeconds: bigint | null };

export function amounts(sum: Partial<Sums> = {}): Amounts {
  const n = (value: bigint | null | undefined) => Number(value ?? 0n);
  return {
    cpuCoreHours: n(sum.cpuMillicoreSeconds) / 1000 / 3600,
    memoryGiBHours: n(sum.memoryMiBSeconds) / 1024 / 3600,
    storageGiBDays: n(sum.storageGiBSeconds) / 86_400,
    workspaceHours: n(sum.workspaceSeconds) / 3600,
  };
}

const SUMS = { cpuMillicoreSeconds: true, memoryMiBSeconds: true, storageGiBSeconds: true, workspaceSeconds: true } as const;
const COLUMN = { user: "userId", template: "templateId", team: "teamId" } as const;

/** The days of the range, of one team or of every team (teamId null): what each rollup table is filtered by. */
const scopeOf = (day: { gte: Date; lt: Date }, teamId: string | null) => ({ day, ...(teamId ? { teamId } : {}) });

/** Usage of one team, or of every team (teamId null: platform admins only; callers check). */
export async function usageReport(teamId: string | null, period: Period, by: Breakdown): Promise<UsageReport> {
  const db = getDb();
  const day = { gte: period.from, lt: period.until };
  const where = scopeOf(day, teamId);
  const totalSums = { ...SUMS, computeSessions: true, computeSessionSeconds: true } as const;

  const [total, users, { perDay, perKey }, perWorkspace, backups] = await Promise.all([
    // Every team's totals are their team days' (rollup.ts keeps those equal to the sums of the workspace days).
    teamId ? db.usageDailyRollup.aggregate({ where, _sum: totalSums }) : db.usageTeamDailyRollup.aggregate({ where: { day }, _sum: totalSums }),
    // Users × days (rollup.ts keeps a row per user with compute time on a team's day), not every workspace's days.
    db.usageUserDailyRollup.groupBy({ by: ["userId"], where }),
    breakdown(day, teamId, by),
    topWorkspaces(teamId, period),
    db.backupStorageDay.aggregate({ where, _sum: { bytes: true } }),
  ]);

  const ranked = perKey.map((row) => row.key);
  const shown = new Set(ranked.slice(0, ranked.length > MAX_SERIES ? MAX_SERIES - 1 : MAX_SERIES));
  const series = new Map<string, SeriesPoint>();
  for (const row of perDay) {
    const key = shown.has(row.key) ? row.key : OTHER;
    const day = dayString(row.day);
    const point = series.get(`${day} ${key}`) ?? { day, key, cpuCoreHours: 0, memoryGiBHours: 0, storageGiBDays: 0, workspaceHours: 0 };
    const add = amounts(row._sum);
    point.cpuCoreHours += add.cpuCoreHours;
    point.memoryGiBHours += add.memoryGiBHours;
    point.storageGiBDays += add.storageGiBDays;
    point.workspaceHours += add.workspaceHours;
    series.set(`${day} ${key}`, point);
  }

  const workspaces = await db.workspace.findMany({
    where: { id: { in: perWorkspace.map((row) => row.workspaceId) } },
    select: { id: true, name: true, deletedAt: true, owner: { select: { name: true, email: true } }, team: { select: { name: true } }, templateVersion: { select: { template: { select: { name: true } } } } },
  });
  const byId = new Map(workspaces.map((workspace) => [workspace.id, workspace]));
  const labels = await labelsFor(by, [...shown]);
  const sessions = total._sum.computeSessions ?? 0;

  return {
    totals: {
      ...amounts(total._sum),
      activeUsers: users.length,
      sessions,
      averageSessionHours: sessions > 0 ? Number(total._sum.computeSessionSeconds ?? 0n) / sessions / 3600 : null,
      backupGiBDays: Number(backups._sum.bytes ?? 0n) / 2 ** 30,
    },
    keys: [
      ...ranked.filter((key) => shown.has(key)).map((key) => ({ key, label: labels.get(key) ?? key })),
      ...(ranked.length > shown.size ? [{ key: OTHER, label: "Other" }] : []),
    ],
    series: [...series.values()].sort((a, b) => a.day.localeCompare(b.day)),
    topWorkspaces: perWorkspace.map((row) => {
      const workspace = byId.get(row.workspaceId);
      return {
        id: row.workspaceId,
        // Deleted workspaces' names carry "~<id>" to free the name (lib/workspaces/state-machine.ts).
        name: workspace?.name.replace(/~[^~]*$/, "") ?? row.workspaceId,
        owner: workspace ? (workspace.owner.name ?? workspace.owner.email) : "—",
        template: workspace?.templateVersion.template.name ?? "—",
        team: workspace?.team.name ?? "—",
        deleted: !workspace || workspace.deletedAt !== null,
        ...amounts(row._sum),
      };
    }),
  };
}

/**
 * The workspaces that used the most CPU in the period (of one team, or of
 * every team: teamId null), with their sums: ranked on CPU alone first, then
 * summed for those few alone. One team's are a range of its day index. Every
 * team's are index-only scans: of the per-workspace weeks for the period's
 * whole weeks and of the day index (day, workspace, CPU) for its other days,
 * a third of the rows its days alone would be over 30 days.
 */
async function topWorkspaces(teamId: string | null, period: Period): Promise<Array<{ workspaceId: string; _sum: Partial<Sums> }>> {
  const db = getDb();
  const where = scopeOf({ gte: period.from, lt: period.until }, teamId);
  const ranked = teamId
    ? await db.usageDailyRollup.groupBy({ by: ["workspaceId"], where, _sum: { cpuMillicoreSeconds: true }, orderBy: { _sum: { cpuMillicoreSeconds: "desc" } }, take: TOP_WORKSPACES })
    : await rankedByCpu(period);
  const sums = await db.usageDailyRollup.groupBy({ by: ["workspaceId"], where: { ...where, workspaceId: { in: ranked.map((row) => row.workspaceId) } }, _sum: SUMS });
  const byId = new Map(sums.map((row) => [row.workspaceId, row._sum]));
  return ranked.map((row) => ({ workspaceId: row.workspaceId, _sum: byId.get(row.workspaceId) ?? {} }));
}

/** Every team's top workspaces by CPU in the period, from its whole weeks' rows and its other days'. */
async function rankedByCpu(period: Period): Promise<Array<{ workspaceId: string }>> {
  const { first, end } = wholeWeeks(period);
  const [from, until, weeksFrom, weeksEnd] = [period.from, period.until, first, end].map(dayString);
  return getDb().$queryRaw<Array<{ workspaceId: string }>>`
    SELECT "workspaceId" FROM (
      SELECT "workspaceId", "cpuMillicoreSeconds" FROM "UsageWorkspaceWeeklyRollup" WHERE "week" >= ${weeksFrom}::date AND "week" < ${weeksEnd}::date
      UNION ALL
      SELECT "workspaceId", "cpuMillicoreSeconds" FROM "UsageDailyRollup" WHERE "day" >= ${from}::date AND "day" < ${weeksFrom}::date
      UNION ALL
      SELECT "workspaceId", "cpuMillicoreSeconds" FROM "UsageDailyRollup" WHERE "day" >= ${weeksEnd}::date AND "day" < ${until}::date
    ) AS cpu
    GROUP BY "workspaceId" ORDER BY SUM("cpuMillicoreSeconds") DESC LIMIT ${TOP_WORKSPACES}`;
}

type Keyed = { key: string; _sum?: Partial<Sums> };

/**
 * Sums by day and key, and by key ranked by CPU. Every team's usage (teamId
 * null) by team or by template comes from the per-team, per-template days:
 * teams × templates × days rows, not every workspace's days.
 */
async function breakdown(day: { gte: Date; lt: Date }, teamId: string | null, by: Breakdown): Promise<{ perDay: Array<Keyed & { day: Date }>; perKey: Keyed[] }> {
  const db = getDb();
  const ranked = { _sum: { cpuMillicoreSeconds: "desc" } } as const;
  if (teamId === null && by !== "user") {
    const column = COLUMN[by];
    const [perDay, perKey] = await Promise.all([
      db.usageTeamDailyRollup.groupBy({ by: ["day", column], where: { day }, _sum: SUMS }),
      db.usageTeamDailyRollup.groupBy({ by: [column], where: { day }, _sum: SUMS, orderBy: ranked }),
    ]);
    return { perDay: perDay.map((row) => ({ day: row.day, key: row[column], _sum: row._sum })), perKey: perKey.map((row) => ({ key: row[column], _sum: row._sum })) };
  }
  const column = COLUMN[by];
  const where = scopeOf(day, teamId);
  const [perDay, perKey] = await Promise.all([
    db.usageDailyRollup.groupBy({ by: ["day", column], where, _sum: SUMS }),
    db.usageDailyRollup.groupBy({ by: [column], where, _sum: SUMS, orderBy: ranked }),
  ]);
  return {
    perDay: perDay.map((row) => ({ day: row.day, key: row[column] as string, _sum: row._sum })),
    perKey: perKey.map((row) => ({ key: row[column] as string, _sum: row._sum })),
  };
}

/** Display names for user, template or team ids. */
export async function labelsFor(by: Breakdown, ids: string[]): Promise<Map<string, string>> {
  const db = getDb();
  const where = { id: { in: ids } };
  switch (by) {
    case "user":
      return new Map((await db.user.findMany({ where, select: { id: true, name: true, email: true } })).map((u) => [u.id, u.name ?? u.email]));
    case "template":
      return new Map((await db.template.findMany({ where, select: { id: true, name: true } })).map((t) => [t.id, t.name]));
    case "team":
      return new Map((await db.team.findMany({ where, select: { id: true, name: true } })).map((t) => [t.id, t.name]));
  }
}
