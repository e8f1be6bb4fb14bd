import { getDb } from "@/lib/db/client";
import type { Prisma, PrismaClient, TeamQuota } from "@/lib/generated/prisma/client";

// A team's quota is two rows: the LIMIT its owners and admins set and the
// CEILING platform admins set over it. What is enforced is the stricter of
// the two, column by column; a null column means "no limit" on that row, so
// a ceiling alone still binds a team whose owners set nothing.

/** The quota columns people edit, in the database's units. */
export const QUOTA_FIELDS = [
  "maxWorkspaces",
  "maxRunningWorkspaces",
  "cpuMillicores",
  "memoryMiB",
  "storageGiB",
  "monthlyCpuCoreHours",
  "maxWorkspacesPerMember",
  "maxRunningPerMember",
  "maxIdleTimeoutMinutes",
  "backupGiB",
] as const satisfies ReadonlyArray<keyof TeamQuota>;

export type QuotaField = (typeof QUOTA_FIELDS)[number];

/** One row's settings: each limit (null: none) and whether running workspaces stop at the budget. */
export type QuotaValues = Record<QuotaField, number | null> & { stopAtBudget: boolean };

export const NO_QUOTA: QuotaValues = {
  maxWorkspaces: null,
  maxRunningWorkspaces: null,
  cpuMillicores: null,
  memoryMiB: null,
  storageGiB: null,
  monthlyCpuCoreHours: null,
  maxWorkspacesPerMember: null,
  maxRunningPerMember: null,
  maxIdleTimeoutMinutes: null,
  backupGiB: null,
  stopAtBudget: false,
};

export interface TeamQuotaRows {
  limit: QuotaValues;
  ceiling: QuotaValues;
  /** What is enforced: the stricter of limit and ceiling in each column. */
  effective: QuotaValues;
}

export type QuotaReader = Pick<PrismaClient | Prisma.TransactionClient, "teamQuota">;

export function quotaValues(row: Pick<TeamQuota, QuotaField | "stopAtBudget"> | null | undefined): QuotaValues {
  if (!row) return { ...NO_QUOTA };
  const values = { ...NO_QUOTA, stopAtBudget: row.stopAtBudget };
  for (const field of QUOTA_FIELDS) values[field] = row[field];
  return values;
}

const stricter = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

export function combineQuotas(limit: QuotaValues, ceiling: QuotaValues): QuotaValues {
  const effective = { ...NO_QUOTA };
  for (const field of QUOTA_FIELDS) effective[field] = stricter(limit[field], ceiling[field]);
  // Either side may ask for the stricter budget behaviour.
  effective.stopAtBudget = limit.stopAtBudget || ceiling.stopAtBudget;
  return effective;
}

/** The team's LIMIT and CEILING rows and what they add up to. */
export async function teamQuotaRows(teamId: string, db: QuotaReader = getDb()): Promise<TeamQuotaRows> {
  const rows = await db.teamQuota.findMany({ where: { teamId } });
  const limit = quotaValues(rows.find((row) => row.scope === "LIMIT"));
  const ceiling = quotaValues(rows.find((row) => row.scope === "CEILING"));
  return { limit, ceiling, effective: combineQuotas(limit, ceiling) };
}
