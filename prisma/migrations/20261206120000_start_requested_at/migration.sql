-- When the latest start (create, start, retry or restart) was requested: where a start's time budget begins.
ALTER TABLE "Workspace" ADD COLUMN "startRequestedAt" TIMESTAMP(3);
