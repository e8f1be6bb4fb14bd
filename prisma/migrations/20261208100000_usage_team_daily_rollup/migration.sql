-- Per-team, per-template daily totals of the per-workspace rollups, kept by
-- the rollup statement itself (lib/usage/rollup.ts), so the all-teams
-- dashboard's totals and its series by team or by template read teams ×
-- templates × days rows instead of every workspace's days.
CREATE TABLE "UsageTeamDailyRollup" (
    "day" DATE NOT NULL,
    "teamId" TEXT NOT NULL,
    "templateId" TEXT NOT NULL,
    "cpuMillicoreSeconds" BIGINT NOT NULL DEFAULT 0,
    "memoryMiBSeconds" BIGINT NOT NULL DEFAULT 0,
    "storageGiBSeconds" BIGINT NOT NULL DEFAULT 0,
    "workspaceSeconds" BIGINT NOT NULL DEFAULT 0,
    "computeSessions" INTEGER NOT NULL DEFAULT 0,
    "computeSessionSeconds" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UsageTeamDailyRollup_pkey" PRIMARY KEY ("day", "teamId", "templateId")
);

ALTER TABLE "UsageTeamDailyRollup" ADD CONSTRAINT "UsageTeamDailyRollup_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- An upgraded install shows the same figures: the totals of what is already rolled up.
INSERT INTO "UsageTeamDailyRollup" ("day", "teamId", "templateId", "cpuMillicoreSeconds", "memoryMiBSeconds", "storageGiBSeconds", "workspaceSeconds", "computeSessions", "computeSessionSeconds")
SELECT "day", "teamId", "templateId", SUM("cpuMillicoreSeconds"), SUM("memoryMiBSeconds"), SUM("storageGiBSeconds"), SUM("workspaceSeconds"), SUM("computeSessions"), SUM("computeSessionSeconds")
  FROM "UsageDailyRollup" GROUP BY "day", "teamId", "templateId";
