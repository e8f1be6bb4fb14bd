-- Nothing reads it: a workspace's open intervals are found through
-- "UsageInterval_open_key", a team's through ("teamId", "startedAt"). Every
-- watermark the rollup moves wrote an entry into it.
DROP INDEX "UsageInterval_workspaceId_kind_endedAt_idx";

-- The all-teams dashboard ranks workspaces by CPU over a period's days: with
-- the workspace and its CPU in the day index that is an index-only scan, not
-- a visit to every workspace day's heap row.
DROP INDEX "UsageDailyRollup_day_idx";
CREATE INDEX "UsageDailyRollup_day_workspaceId_cpuMillicoreSeconds_idx" ON "UsageDailyRollup"("day", "workspaceId", "cpuMillicoreSeconds");

-- The users active on a team's day (any compute time), kept by the rollup
-- statement with the other rollups (lib/usage/rollup.ts), so the dashboards
-- count distinct users over users × days, not over every workspace's days.
CREATE TABLE "UsageUserDailyRollup" (
    "day" DATE NOT NULL,
    "teamId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,

    CONSTRAINT "UsageUserDailyRollup_pkey" PRIMARY KEY ("day", "teamId", "userId")
);

ALTER TABLE "UsageUserDailyRollup" ADD CONSTRAINT "UsageUserDailyRollup_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- An upgraded install shows the same figures: the active users of what is already rolled up.
INSERT INTO "UsageUserDailyRollup" ("day", "teamId", "userId")
SELECT DISTINCT "day", "teamId", "userId" FROM "UsageDailyRollup" WHERE "workspaceSeconds" > 0;

-- A workspace's day is its key: the random "id" was a fourth index every
-- new daily row wrote into, and nothing looked a row up by it.
ALTER TABLE "UsageDailyRollup" DROP CONSTRAINT "UsageDailyRollup_pkey", DROP COLUMN "id";
ALTER TABLE "UsageDailyRollup" ADD CONSTRAINT "UsageDailyRollup_pkey" PRIMARY KEY USING INDEX "UsageDailyRollup_workspaceId_day_key";
