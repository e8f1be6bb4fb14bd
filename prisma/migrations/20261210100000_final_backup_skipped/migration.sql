-- A workspace whose final backup keeps failing (its store gone, say) can be
-- deleted without it by someone who may delete it; until then it waits.
ALTER TABLE "Workspace" ADD COLUMN "finalBackupSkippedAt" TIMESTAMP(3);
