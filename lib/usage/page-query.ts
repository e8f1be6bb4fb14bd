import { periodOf, queryInput, usageQuerySchema, type Breakdown, type Period } from "./period";

/** A usage page's period and breakdown from its search params; a bad query falls back to this month and says why. */
export function usagePageQuery(
  searchParams: Record<string, string | string[] | undefined>,
  breakdowns: Breakdown[],
): { period: Period; by: Breakdown; error?: string } {
  const parsed = usageQuerySchema.safeParse(queryInput(searchParams));
  const fallback = breakdowns[0]!;
  if (!parsed.success) return { period: periodOf(usageQuerySchema.parse({})), by: fallback, error: parsed.error.issues[0]!.message };
  return { period: periodOf(parsed.data), by: breakdowns.includes(parsed.data.by) ? parsed.data.by : fallback };
}
