-- Service accounts: users that belong to one team and act only through API tokens.
ALTER TABLE "User" ADD COLUMN "isServiceAccount" BOOLEAN NOT NULL DEFAULT false;
