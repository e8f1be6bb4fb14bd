-- Per-team daily totals of the per-workspace rollups, kept by the rollup
-- statement itself (lib/usage/rollup.ts), so the all-teams dashboard reads
-- teams × days rows instead of every workspace's days.
CREATE TABLE "UsageTeamDailyRollup" (
    "teamId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "cpuMillicoreSeconds" BIGINT NOT NULL DEFAULT 0,
    "memoryMiBSeconds" BIGINT NOT NULL DEFAULT 0,
    "storageGiBSeconds" BIGINT NOT NULL DEFAULT 0,
    "workspaceSeconds" BIGINT NOT NULL DEFAULT 0,
    "computeSessions" INTEGER NOT NULL DEFAULT 0,
    "computeSessionSeconds" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UsageTeamDailyRollup_pkey" PRIMARY KEY ("teamId", "day")
);

ALTER TABLE "UsageTeamDailyRollup" ADD CONSTRAINT "UsageTeamDailyRollup_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- An upgraded install shows the same figures: the totals of what is already rolled up.
INSERT INTO "UsageTeamDailyRollup" ("teamId", "day", "cpuMillicoreSeconds", "memoryMiBSeconds", "storageGiBSeconds", "workspaceSeconds", "computeSessions", "computeSessionSeconds")
SELECT "teamId", "day", SUM("cpuMillicoreSeconds"), SUM("memoryMiBSeconds"), SUM("storageGiBSeconds"), SUM("workspaceSeconds"), SUM("computeSessions"), SUM("computeSessionSeconds")
  FROM "UsageDailyRollup" GROUP BY "teamId", "day";
