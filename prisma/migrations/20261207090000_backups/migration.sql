-- Workspace backups (lib/backups): restic snapshots in a repository per team.
CREATE TYPE "BackupReason" AS ENUM ('STOP', 'SCHEDULE', 'DELETE', 'MANUAL');
CREATE TYPE "BackupStatus" AS ENUM ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED');

CREATE TABLE "Backup" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "reason" "BackupReason" NOT NULL,
    "status" "BackupStatus" NOT NULL DEFAULT 'PENDING',
    "snapshotId" TEXT,
    "files" INTEGER,
    "bytes" BIGINT,
    "bytesAdded" BIGINT,
    "error" TEXT,
    "requestedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "expiredAt" TIMESTAMP(3),

    CONSTRAINT "Backup_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Backup_status_createdAt_idx" ON "Backup"("status", "createdAt");
CREATE INDEX "Backup_workspaceId_createdAt_idx" ON "Backup"("workspaceId", "createdAt");
CREATE INDEX "Backup_teamId_createdAt_idx" ON "Backup"("teamId", "createdAt");
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "BackupStorageDay" (
    "teamId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "bytes" BIGINT NOT NULL,

    CONSTRAINT "BackupStorageDay_pkey" PRIMARY KEY ("teamId", "day")
);
ALTER TABLE "BackupStorageDay" ADD CONSTRAINT "BackupStorageDay_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "Team" ADD COLUMN "backupRetentionDays" INTEGER NOT NULL DEFAULT 30;
ALTER TABLE "Team" ADD COLUMN "backupIntervalHours" INTEGER;
ALTER TABLE "Team" ADD COLUMN "backupBytes" BIGINT;
ALTER TABLE "Team" ADD COLUMN "backupMeasuredAt" TIMESTAMP(3);

ALTER TABLE "TeamQuota" ADD COLUMN "backupGiB" INTEGER;

ALTER TABLE "Workspace" ADD COLUMN "restoreFromId" TEXT;
ALTER TABLE "Workspace" ADD COLUMN "restoredAt" TIMESTAMP(3);
ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_restoreFromId_fkey" FOREIGN KEY ("restoreFromId") REFERENCES "Backup"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
