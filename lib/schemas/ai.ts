import { z } from "zod";
import { idSchema } from "./fields";

// The team AI budget form (lib/ai/budget-settings.ts): amounts as people type
// them (tokens, USD; empty: no limit), models as a comma-separated list.

const tokens = { error: "Enter a whole number of tokens, or leave it empty." };
const dollars = { error: "Enter an amount in USD such as 25 or 12.50, or leave it empty." };

const optionalTokens = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? Number(value.replaceAll(/[,_ ]/g, "")) : null))
  .pipe(z.number(tokens).int(tokens).nonnegative(tokens).max(Number.MAX_SAFE_INTEGER, tokens).nullable());

/** USD → millionths of a USD, the database's unit. */
const optionalDollars = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? Number(value.replace(/^\$/, "")) : null))
  .pipe(z.number(dollars).nonnegative(dollars).max(1e9, dollars).nullable())
  .transform((value) => (value === null ? null : Math.round(value * 1e6)));

export const aiBudgetFormSchema = z
  .object({
    teamId: idSchema,
    scope: z.enum(["LIMIT", "CEILING"]),
    teamTokens: optionalTokens,
    teamDollars: optionalDollars,
    memberTokens: optionalTokens,
    memberDollars: optionalDollars,
    allowedModels: z
      .string()
      .max(4000)
      .optional()
      .transform((value) => [...new Set((value ?? "").split(/[\s,]+/).filter(Boolean))]),
  })
  .transform(({ teamId, scope, teamTokens, teamDollars, memberTokens, memberDollars, allowedModels }) => ({
    teamId,
    scope,
    values: { teamTokens, teamCostMicros: teamDollars, memberTokens, memberCostMicros: memberDollars, allowedModels },
  }));
