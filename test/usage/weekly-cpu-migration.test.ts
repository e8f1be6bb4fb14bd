import { describe, expect, it } from "vitest";
import { backends, upgradingTo, useFreshDatabase } from "../helpers/databases";

// The migration that added each workspace's CPU per week
// (UsageWorkspaceWeeklyRollup): an upgraded install's weeks are filled from
// the days it had rolled up, so the all-teams ranking is right from the start.

const WEEKLY_MIGRATION = "20261212110000_usage_weekly_cpu";

const day = (day: string, workspaceId: string, cpu: number) =>
  `('${day}', '${workspaceId}', 'team', 'user', 'tpl', ${cpu}, 3600, now())`;

describe.each(backends)("the per-workspace weeks on %s", (backend) => {
  const database = useFreshDatabase(backend);

  it("are filled from an upgraded install's days, a week from Monday, without the days of no CPU", async () => {
    await upgradingTo(database, WEEKLY_MIGRATION, async (session, upgrade) => {
      await session.exec(`INSERT INTO "Team" ("id", "slug", "name", "updatedAt") VALUES ('team', 'team', 'Team', now())`);
      // 2026-03-01 is a Sunday, 2026-03-02 a Monday.
      await session.exec(`
        INSERT INTO "UsageDailyRollup" ("day", "workspaceId", "teamId", "userId", "templateId", "cpuMillicoreSeconds", "storageGiBSeconds", "updatedAt")
        VALUES ${[day("2026-03-01", "w1", 100), day("2026-03-02", "w1", 20), day("2026-03-08", "w1", 3), day("2026-03-09", "w1", 4000), day("2026-03-02", "w2", 0)].join(", ")}`);
      await upgrade();

      const weeks = await session.query<{ week: string; workspaceId: string; cpu: string }>(
        `SELECT "week"::text AS "week", "workspaceId", "cpuMillicoreSeconds"::text AS "cpu" FROM "UsageWorkspaceWeeklyRollup" ORDER BY "workspaceId", "week"`,
      );
      expect(weeks).toEqual([
        { week: "2026-02-23", workspaceId: "w1", cpu: "100" },
        { week: "2026-03-02", workspaceId: "w1", cpu: "23" },
        { week: "2026-03-09", workspaceId: "w1", cpu: "4000" },
      ]);
    });
  });
});
