-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "restartRequestedAt" TIMESTAMP(3);
