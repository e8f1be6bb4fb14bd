-- AlterTable
ALTER TABLE "TeamQuota" ADD COLUMN     "maxIdleTimeoutMinutes" INTEGER;

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "deletionScheduledAt" TIMESTAMP(3),
ADD COLUMN     "dormantAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Workspace_state_dormantAt_stoppedAt_idx" ON "Workspace"("state", "dormantAt", "stoppedAt");

-- CreateIndex
CREATE INDEX "Workspace_desiredState_deletionScheduledAt_idx" ON "Workspace"("desiredState", "deletionScheduledAt");
