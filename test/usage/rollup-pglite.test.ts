import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { rollUpUsage } from "@/lib/usage/rollup";
import { useAppDatabase } from "../helpers/app-database";
import { createTeamWith } from "../helpers/identity";

// The rollup statement on the embedded database (PGlite) that `npm run dev` uses.

useAppDatabase();

describe("rollups on PGlite", () => {
  it("split an interval at UTC midnight and count its session once", async () => {
    const team = await createTeamWith("embedded");
    const startedAt = new Date("2026-04-01T22:00:00Z");
    await getDb().usageInterval.create({
      data: {
        kind: "COMPUTE",
        workspaceId: "w",
        teamId: team.id,
        userId: "u",
        templateId: "t",
        cpuMillicores: 500,
        startedAt,
        endedAt: new Date("2026-04-02T01:00:00Z"),
        rolledUpUntil: startedAt,
      },
    });
    await rollUpUsage(getDb(), new Date("2026-04-03T00:00:00Z"));
    await rollUpUsage(getDb(), new Date("2026-04-03T00:00:00Z"));
    const rows = await getDb().usageDailyRollup.findMany({ orderBy: { day: "asc" } });
    expect(rows.map((r) => [r.day.toISOString().slice(0, 10), r.workspaceSeconds, r.cpuMillicoreSeconds, r.computeSessions])).toEqual([
      ["2026-04-01", 7200n, 3_600_000n, 0],
      ["2026-04-02", 3600n, 1_800_000n, 1],
    ]);
    // The team's daily totals, kept in the same statement.
    const teamDays = await getDb().usageTeamDailyRollup.findMany({ orderBy: { day: "asc" } });
    expect(teamDays.map((r) => [r.teamId, r.day.toISOString().slice(0, 10), r.workspaceSeconds, r.cpuMillicoreSeconds, r.computeSessions])).toEqual([
      [team.id, "2026-04-01", 7200n, 3_600_000n, 0],
      [team.id, "2026-04-02", 3600n, 1_800_000n, 1],
    ]);
  });
});
