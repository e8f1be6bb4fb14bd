-- AlterTable
ALTER TABLE "User" ADD COLUMN     "isTemplateAdmin" BOOLEAN NOT NULL DEFAULT false;
