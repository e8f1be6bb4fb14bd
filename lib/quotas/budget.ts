import { getDb } from "@/lib/db/client";
import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";
import { teamQuotaRows, type QuotaReader } from "./limits";

// The monthly CPU budget: core-hours a team's workspaces have held since the
// start of the calendar month (UTC), from the metering's COMPUTE intervals.
// An interval counts for the part of it that lies in the month, and one still
// open counts up to now, so a workspace running right now uses budget.

/** The share of the budget at which the team is warned. */
export const BUDGET_WARNING_FRACTION = 0.8;

export type BudgetLevel = "ok" | "warning" | "exhausted";

export interface BudgetStatus {
  budgetCoreHours: number;
  usedCoreHours: number;
  level: BudgetLevel;
  monthStart: Date;
}

type SqlReader = Pick<PrismaClient | Prisma.TransactionClient, "$queryRaw">;

export function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/**
 * Timestamps are stored as UTC in `timestamp` columns; an ISO string cast to
 * `timestamp` keeps its wall time and drops the "Z", so comparisons don't
 * depend on the session's time zone.
 */
const utc = (date: Date) => date.toISOString();

/**
 * CPU core-hours each of `teamIds` (one row each: "teamId", "coreHours",
 * null when it used none) used from the start of now's month until now.
 * Quota checks embed it in their one reading statement (lib/quotas/ledger.ts).
 * Summed per team through the (teamId, startedAt) index: grouping a batch's
 * teams' intervals together instead sorted all of them at once.
 */
export function coreHoursByTeamSql(teamIds: readonly string[], now: Date): Prisma.Sql {
  const from = utc(monthStart(now));
  const until = utc(now);
  return Prisma.sql`
    SELECT t.id AS "teamId", (
      SELECT SUM(
        "cpuMillicores"::float8
        * EXTRACT(EPOCH FROM (LEAST(COALESCE("endedAt", ${until}::timestamp), ${until}::timestamp) - GREATEST("startedAt", ${from}::timestamp)))
      ) / 3600000.0
      FROM "UsageInterval"
      WHERE "teamId" = t.id
        AND "kind" = 'COMPUTE'
        AND "startedAt" < ${until}::timestamp
        AND ("endedAt" IS NULL OR "endedAt" > ${from}::timestamp)
    ) AS "coreHours"
    FROM unnest(${teamIds}::text[]) AS t(id)`;
}

/** A "coreHours" of coreHoursByTeamSql (none: the team used none) as a number. */
export const toCoreHours = (value: number | string | null | undefined) => Math.max(0, Number(value ?? 0));

/** CPU core-hours the team's workspaces used from the start of now's month until now. */
export async function monthToDateCoreHours(teamId: string, now: Date = new Date(), db: SqlReader = getDb()): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ coreHours: number | null }>>(coreHoursByTeamSql([teamId], now));
  return toCoreHours(row?.coreHours);
}

export function budgetLevel(usedCoreHours: number, budgetCoreHours: number): BudgetLevel {
  if (usedCoreHours >= budgetCoreHours) return "exhausted";
  if (usedCoreHours >= budgetCoreHours * BUDGET_WARNING_FRACTION) return "warning";
  return "ok";
}

/** The team's budget and what it used this month; null when it has no budget. */
export async function teamBudget(
  teamId: string,
  options: { now?: Date; db?: SqlReader & QuotaReader; budgetCoreHours?: number | null } = {},
): Promise<BudgetStatus | null> {
  const db = options.db ?? getDb();
  const now = options.now ?? new Date();
  const budget = options.budgetCoreHours !== undefined ? options.budgetCoreHours : (await teamQuotaRows(teamId, db)).effective.monthlyCpuCoreHours;
  if (budget === null) return null;
  const used = await monthToDateCoreHours(teamId, now, db);
  return { budgetCoreHours: budget, usedCoreHours: used, level: budgetLevel(used, budget), monthStart: monthStart(now) };
}

/**
 * Of these teams, those whose quota says to stop running workspaces at the
 * budget and whose budget is used up at `now`.
 */
export async function teamsToStopAtBudget(teamIds: readonly string[], now: Date, db: SqlReader & QuotaReader = getDb()): Promise<Set<string>> {
  const candidates = await db.teamQuota.findMany({
    where: { teamId: { in: [...new Set(teamIds)] }, stopAtBudget: true },
    select: { teamId: true },
    distinct: ["teamId"],
  });
  const over = new Set<string>();
  for (const { teamId } of candidates) {
    const budget = await teamBudget(teamId, { now, db });
    if (budget?.level === "exhausted") over.add(teamId);
  }
  return over;
}
