import { getDb } from "@/lib/db/client";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import { teamQuotaRows, type QuotaReader } from "./limits";

// The monthly CPU budget: core-hours a team's workspaces have held since the
// start of the calendar month (UTC), from the metering's COMPUTE intervals.
// An interval counts for the part of it that lies in the month, and one still
// open counts up to now, so a workspace running right now uses budget. The
// database sums it (Team_core_hours, prisma/migrations/
// 20261212100000_quota_state_functions), for quota decisions under the team's
// lock and for the pages alike: the month's days from the daily rollups
// (lib/usage/rollup.ts), and what the rollups don't hold yet from the intervals.

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
 * The month-to-date range for `now` as the database's Team_core_hours takes
 * it: from the start of now's month until now. The quota ledger reads it
 * with the rest of a team's quota state (lib/quotas/ledger.ts).
 */
export function budgetRange(now: Date): { from: string; until: string } {
  return { from: utc(monthStart(now)), until: utc(now) };
}

/** A "coreHours" of Team_core_hours (none: the team used none) as a number. */
export const toCoreHours = (value: number | string | null | undefined) => Math.max(0, Number(value ?? 0));

/** CPU core-hours the team's workspaces used from the start of now's month until now. */
export async function monthToDateCoreHours(teamId: string, now: Date = new Date(), db: SqlReader = getDb()): Promise<number> {
  const { from, until } = budgetRange(now);
  const [row] = await db.$queryRaw<Array<{ coreHours: number | null }>>`SELECT "coreHours" FROM "Team_core_hours"(ARRAY[${teamId}], ${from}::timestamp, ${until}::timestamp)`;
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
