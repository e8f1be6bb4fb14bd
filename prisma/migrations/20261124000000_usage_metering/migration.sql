-- Nothing wrote usage before this migration; rollups are derived data and are
-- rebuilt from the intervals by the rollup loop.
DELETE FROM "UsageDailyRollup";
DELETE FROM "UsageInterval" WHERE "workspaceId" IS NULL;

-- DropForeignKey
ALTER TABLE "UsageInterval" DROP CONSTRAINT "UsageInterval_workspaceId_fkey";

-- AlterTable
ALTER TABLE "UsageInterval" ADD COLUMN     "rolledUp" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "rolledUpUntil" TIMESTAMP(3),
ALTER COLUMN "workspaceId" SET NOT NULL;
UPDATE "UsageInterval" SET "rolledUpUntil" = "startedAt";
ALTER TABLE "UsageInterval" ALTER COLUMN "rolledUpUntil" SET NOT NULL;

-- DropIndex
DROP INDEX "UsageDailyRollup_day_teamId_userId_templateId_key";

-- AlterTable
ALTER TABLE "UsageDailyRollup" ADD COLUMN     "computeSessionSeconds" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "computeSessions" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "workspaceId" TEXT NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "UsageDailyRollup_workspaceId_day_key" ON "UsageDailyRollup"("workspaceId", "day");

-- CreateIndex
CREATE INDEX "UsageDailyRollup_day_idx" ON "UsageDailyRollup"("day");

-- Partial indexes (not expressible in schema.prisma; see the UsageInterval model).
-- A workspace has at most one open interval per kind, so opening is idempotent.
CREATE UNIQUE INDEX "UsageInterval_open_key" ON "UsageInterval"("workspaceId", "kind") WHERE "endedAt" IS NULL;
-- The rollup loop's backlog: open intervals and closed ones it isn't done with.
CREATE INDEX "UsageInterval_rollup_pending_idx" ON "UsageInterval"("rolledUpUntil") WHERE NOT "rolledUp";
