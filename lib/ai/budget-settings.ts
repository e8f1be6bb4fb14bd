import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { AiBudget, QuotaScope } from "@/lib/generated/prisma/client";
import { lockTeamInReach, teamDenied, type TeamRef } from "@/lib/teams/access";

// A team's AI budgets and model allow-list, like its compute quota: a LIMIT
// row its owners and admins set, within a CEILING row platform admins set;
// what is enforced is the stricter of the two, field by field (null: no
// limit), and for the allow-list the models both allow (empty: all).

export const AI_LIMIT_FIELDS = ["teamTokens", "teamCostMicros", "memberTokens", "memberCostMicros"] as const;
type LimitField = (typeof AI_LIMIT_FIELDS)[number];

export type AiLimits = Record<LimitField, number | null>;
export interface AiBudgetValues extends AiLimits {
  allowedModels: string[];
}

export const NO_AI_BUDGET: AiBudgetValues = { teamTokens: null, teamCostMicros: null, memberTokens: null, memberCostMicros: null, allowedModels: [] };

const COLUMN: Record<LimitField, "monthlyTokens" | "monthlyCostMicros" | "memberMonthlyTokens" | "memberMonthlyCostMicros"> = {
  teamTokens: "monthlyTokens",
  teamCostMicros: "monthlyCostMicros",
  memberTokens: "memberMonthlyTokens",
  memberCostMicros: "memberMonthlyCostMicros",
};

function valuesOf(row: AiBudget | undefined): AiBudgetValues {
  if (!row) return { ...NO_AI_BUDGET, allowedModels: [] };
  const values = { ...NO_AI_BUDGET, allowedModels: row.allowedModels };
  for (const field of AI_LIMIT_FIELDS) {
    const value = row[COLUMN[field]];
    values[field] = value === null ? null : Number(value);
  }
  return values;
}

const stricter = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

export interface AiBudgetRows {
  limit: AiBudgetValues;
  ceiling: AiBudgetValues;
  effective: AiBudgetValues;
}

export async function aiBudgetRows(teamId: string): Promise<AiBudgetRows> {
  const rows = await getDb().aiBudget.findMany({ where: { teamId } });
  const limit = valuesOf(rows.find((row) => row.scope === "LIMIT"));
  const ceiling = valuesOf(rows.find((row) => row.scope === "CEILING"));
  const effective = { ...NO_AI_BUDGET, allowedModels: allowedByBoth(limit.allowedModels, ceiling.allowedModels) };
  for (const field of AI_LIMIT_FIELDS) effective[field] = stricter(limit[field], ceiling[field]);
  return { limit, ceiling, effective };
}

function allowedByBoth(a: string[], b: string[]): string[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  // Both lists set: what both allow. Nothing in common leaves an impossible
  // list, which allows nothing, rather than an empty one, which allows all.
  const both = a.filter((name) => b.includes(name));
  return both.length > 0 ? both : ["(none)"];
}

const limitValue = z.number().int().nonnegative().nullable();
export const aiBudgetInputSchema = z.object({
  teamId: z.string().min(1),
  scope: z.enum(["LIMIT", "CEILING"]),
  values: z.object({
    teamTokens: limitValue,
    teamCostMicros: limitValue,
    memberTokens: limitValue,
    memberCostMicros: limitValue,
    allowedModels: z.array(z.string().min(1).max(200)).max(100),
  }),
});
export type AiBudgetInput = z.input<typeof aiBudgetInputSchema>;

/**
 * Saves a team's LIMIT (its owners and admins, each value within the
 * ceiling) or CEILING (platform admins), audited before → after, under the
 * team's row lock like the compute quota.
 */
export async function setAiBudget(actor: Actor, input: AiBudgetInput): Promise<{ team: TeamRef; changed: boolean }> {
  const { teamId, scope, values } = aiBudgetInputSchema.parse(input);
  if (scope === "LIMIT" && !can(actor, "team:manage-quotas", { teamId })) throw teamDenied(actor, teamId, "Only team owners and admins can change the team's AI budget.");
  if (scope === "CEILING" && !can(actor, "team:set-quota-ceilings")) throw teamDenied(actor, teamId, "Only platform admins can change the AI ceilings.");
  return getDb().$transaction(async (tx) => {
    const team = await lockTeamInReach(tx, actor, teamId);
    const rows = await tx.aiBudget.findMany({ where: { teamId } });
    const before = valuesOf(rows.find((row) => row.scope === scope));
    if (scope === "LIMIT") assertWithinCeiling(values, valuesOf(rows.find((row) => row.scope === "CEILING")));
    const changed = AI_LIMIT_FIELDS.some((field) => before[field] !== values[field]) || before.allowedModels.join("\n") !== values.allowedModels.join("\n");
    if (!changed) return { team, changed };
    const data = {
      allowedModels: values.allowedModels,
      ...Object.fromEntries(AI_LIMIT_FIELDS.map((field) => [COLUMN[field], values[field] === null ? null : BigInt(values[field])])),
    };
    await tx.aiBudget.upsert({ where: { teamId_scope: { teamId, scope: scope as QuotaScope } }, create: { teamId, scope, ...data }, update: data });
    await recordAudit(
      { action: scope === "LIMIT" ? "quota.ai-budget-changed" : "quota.ai-ceilings-changed", actorId: actor.id, targetType: "team", targetId: teamId, teamId, before: { ...before }, after: { ...values } },
      tx,
    );
    return { team, changed };
  });
}

const FIELD_TEXT: Record<LimitField, (value: number) => string> = {
  teamTokens: (v) => `${v.toLocaleString("en")} tokens a month for the team`,
  teamCostMicros: (v) => `$${(v / 1e6).toFixed(2)} a month for the team`,
  memberTokens: (v) => `${v.toLocaleString("en")} tokens a month per member`,
  memberCostMicros: (v) => `$${(v / 1e6).toFixed(2)} a month per member`,
};

function assertWithinCeiling(limit: AiBudgetValues, ceiling: AiBudgetValues): void {
  for (const field of AI_LIMIT_FIELDS) {
    const cap = ceiling[field];
    const value = limit[field];
    if (cap !== null && value !== null && value > cap) throw new AppError("invalid", `The platform allows at most ${FIELD_TEXT[field](cap)}.`, field);
  }
  const outside = ceiling.allowedModels.length > 0 ? limit.allowedModels.find((name) => !ceiling.allowedModels.includes(name)) : undefined;
  if (outside) throw new AppError("invalid", `The platform doesn't allow ${outside} for this team.`, "allowedModels");
}
