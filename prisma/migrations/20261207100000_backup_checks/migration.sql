-- The backup loop's daily restic check of each team's repository (lib/backups/backup-loop.ts).
ALTER TABLE "Team" ADD COLUMN "backupCheckedAt" TIMESTAMP(3);
ALTER TABLE "Team" ADD COLUMN "backupCheckError" TEXT;
