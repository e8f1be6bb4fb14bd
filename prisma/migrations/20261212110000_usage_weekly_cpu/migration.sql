-- Each workspace's CPU per week (from Monday, UTC), the sum of its days' in
-- UsageDailyRollup, kept by the rollup in the same statement as the days
-- (lib/usage/rollup.ts). The all-teams dashboard ranks every workspace by CPU
-- over a period: over 30 days that read ~250,000 workspace days at 10,000
-- workspaces; over the period's whole weeks and its other days it reads a
-- third of that.
CREATE TABLE "UsageWorkspaceWeeklyRollup" (
    "week" DATE NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "cpuMillicoreSeconds" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UsageWorkspaceWeeklyRollup_pkey" PRIMARY KEY ("week","workspaceId")
);

CREATE INDEX "UsageWorkspaceWeeklyRollup_ranking_idx" ON "UsageWorkspaceWeeklyRollup"("week", "workspaceId", "cpuMillicoreSeconds");

-- An upgraded install's weeks, from the days rolled up so far.
INSERT INTO "UsageWorkspaceWeeklyRollup" ("week", "workspaceId", "cpuMillicoreSeconds")
SELECT date_trunc('week', "day")::date, "workspaceId", SUM("cpuMillicoreSeconds")
  FROM "UsageDailyRollup" WHERE "cpuMillicoreSeconds" > 0
 GROUP BY 1, 2;
