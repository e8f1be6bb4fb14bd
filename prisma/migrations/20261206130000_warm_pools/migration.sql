-- Warm pools: workspaces a team keeps running without an owner, for creates to claim.
CREATE TABLE "WarmPool" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "templateId" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "ownerId" TEXT NOT NULL,
    "refillBlockedReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WarmPool_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "WarmPool_teamId_templateId_key" ON "WarmPool"("teamId", "templateId");

ALTER TABLE "WarmPool" ADD CONSTRAINT "WarmPool_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "WarmPool" ADD CONSTRAINT "WarmPool_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "WarmPool" ADD CONSTRAINT "WarmPool_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "Workspace" ADD COLUMN "warmPoolId" TEXT;
ALTER TABLE "Workspace" ADD COLUMN "claimedAt" TIMESTAMP(3);
ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_warmPoolId_fkey" FOREIGN KEY ("warmPoolId") REFERENCES "WarmPool"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "Workspace_warmPoolId_state_idx" ON "Workspace"("warmPoolId", "state");
