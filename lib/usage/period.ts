import { z } from "zod";

// The period a usage page or export covers, from its query string: this
// month, the last 30 days, or a custom range of whole UTC days (both ends
// included). Bad input is an error the page shows next to the form.

export const PERIODS = { month: "This month", "30d": "Last 30 days", custom: "Custom range" } as const;
export type PeriodKind = keyof typeof PERIODS;
export const BREAKDOWNS = { user: "User", template: "Template", team: "Team" } as const;
export type Breakdown = keyof typeof BREAKDOWNS;

/** Whole UTC days: `from` included, `until` excluded (the day after the last). */
export interface Period {
  kind: PeriodKind;
  from: Date;
  until: Date;
}

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;
const isoDay = z.iso.date({ error: "Use a date like 2026-03-31" });

export const usageQuerySchema = z
  .object({
    period: z.enum(["month", "30d", "custom"]).default("month").describe("month: since the 1st (UTC); 30d: the last 30 days; custom: from–to"),
    from: isoDay.optional().describe("The first day (YYYY-MM-DD, UTC), with period=custom"),
    to: isoDay.optional().describe("The last day, included"),
    by: z.enum(["user", "template", "team"]).default("user").describe("What the series are broken down by"),
  })
  .refine((query) => query.period !== "custom" || (query.from !== undefined && query.to !== undefined), {
    error: "Choose both the first and the last day of the range",
    path: ["from"],
  })
  .refine((query) => query.period !== "custom" || !query.from || !query.to || query.from <= query.to, {
    error: "The first day must not be after the last",
    path: ["to"],
  })
  .refine((query) => query.period !== "custom" || !query.from || !query.to || Date.parse(query.to) - Date.parse(query.from) < MAX_DAYS * DAY_MS, {
    error: `A range covers at most ${MAX_DAYS} days`,
    path: ["to"],
  });

export type UsageQuery = z.infer<typeof usageQuerySchema>;

const startOfDay = (date: Date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));

export function periodOf(query: UsageQuery, now: Date = new Date()): Period {
  const tomorrow = new Date(startOfDay(now).getTime() + DAY_MS);
  switch (query.period) {
    case "month":
      return { kind: "month", from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), until: tomorrow };
    case "30d":
      return { kind: "30d", from: new Date(tomorrow.getTime() - 30 * DAY_MS), until: tomorrow };
    case "custom":
      return { kind: "custom", from: new Date(query.from!), until: new Date(Date.parse(query.to!) + DAY_MS) };
  }
}

export const dayString = (date: Date) => date.toISOString().slice(0, 10);

/** The period's last day (for display and forms). */
export const lastDay = (period: Period) => new Date(period.until.getTime() - DAY_MS);

/** Days since the Monday (UTC) of `date`'s week. */
const sinceMonday = (date: Date) => (date.getUTCDay() + 6) % 7;

/**
 * The period's whole weeks (from Monday, UTC): their first day and the day
 * after their last, the same day (none) when no whole week fits. The days
 * before and after them are the rest of the period.
 */
export function wholeWeeks(period: Pick<Period, "from" | "until">): { first: Date; end: Date } {
  const first = new Date(period.from.getTime() + ((7 - sinceMonday(period.from)) % 7) * DAY_MS);
  const end = new Date(period.until.getTime() - sinceMonday(period.until) * DAY_MS);
  return end.getTime() - first.getTime() >= 7 * DAY_MS ? { first, end } : { first: period.until, end: period.until };
}

/** Every day of the period, as YYYY-MM-DD. */
export function daysOf(period: Period): string[] {
  const days: string[] = [];
  for (let t = period.from.getTime(); t < period.until.getTime(); t += DAY_MS) days.push(dayString(new Date(t)));
  return days;
}

/** Reads URLSearchParams or Next's searchParams object into the schema's input shape. */
export function queryInput(params: URLSearchParams | Record<string, string | string[] | undefined>) {
  const get = (key: string) => {
    const value = params instanceof URLSearchParams ? params.get(key) : params[key];
    return (Array.isArray(value) ? value[0] : value) || undefined;
  };
  return { period: get("period"), from: get("from"), to: get("to"), by: get("by") };
}
