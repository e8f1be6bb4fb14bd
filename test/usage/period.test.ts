import { describe, expect, it } from "vitest";
import { daysOf, periodOf, usageQuerySchema, wholeWeeks } from "@/lib/usage/period";

// The usage pages' periods: whole UTC days, the last one included.

const NOW = new Date("2026-03-15T23:30:00Z");
const period = (query: Record<string, string>) => periodOf(usageQuerySchema.parse(query), NOW);
const iso = (p: { from: Date; until: Date }) => [p.from.toISOString(), p.until.toISOString()];

describe("usage periods", () => {
  it("this month runs from the 1st through today", () => {
    expect(iso(period({}))).toEqual(["2026-03-01T00:00:00.000Z", "2026-03-16T00:00:00.000Z"]);
  });

  it("the last 30 days end today", () => {
    const last30 = period({ period: "30d" });
    expect(iso(last30)).toEqual(["2026-02-14T00:00:00.000Z", "2026-03-16T00:00:00.000Z"]);
    expect(daysOf(last30)).toHaveLength(30);
  });

  it("a custom range includes both days", () => {
    expect(daysOf(period({ period: "custom", from: "2026-02-27", to: "2026-03-02" }))).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
  });

  it("refuses bad ranges with a message", () => {
    const message = (query: Record<string, string>) => usageQuerySchema.safeParse(query).error?.issues[0]?.message;
    expect(message({ period: "custom", from: "2026-03-02" })).toBe("Choose both the first and the last day of the range");
    expect(message({ period: "custom", from: "2026-03-02", to: "2026-03-01" })).toBe("The first day must not be after the last");
    expect(message({ period: "custom", from: "2025-01-01", to: "2026-03-01" })).toBe("A range covers at most 366 days");
    expect(message({ period: "custom", from: "yesterday", to: "2026-03-01" })).toBe("Use a date like 2026-03-31");
    expect(message({ period: "year" })).toMatch(/month|30d|custom/);
  });

  it("finds the whole weeks (from Monday) inside a period, or none", () => {
    const days = (from: string, to: string) => {
      const { first, end } = wholeWeeks(period({ period: "custom", from, to }));
      return `${first.toISOString().slice(0, 10)} ${end.toISOString().slice(0, 10)}`;
    };
    // 2026-03-02 and 2026-03-09 are Mondays.
    expect(days("2026-03-02", "2026-03-08")).toBe("2026-03-02 2026-03-09");
    expect(days("2026-02-27", "2026-03-16")).toBe("2026-03-02 2026-03-16");
    expect(days("2026-02-27", "2026-03-14")).toBe("2026-03-02 2026-03-09");
    // Seven days from a Tuesday hold no whole week: none, at the period's end.
    expect(days("2026-03-03", "2026-03-09")).toBe("2026-03-10 2026-03-10");
    expect(days("2026-03-02", "2026-03-07")).toBe("2026-03-08 2026-03-08");
  });
});
