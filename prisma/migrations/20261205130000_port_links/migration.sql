-- Signed links to a workspace's port, for people outside Podspace.
CREATE TABLE "PortLink" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "PortLink_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "PortLink_secretHash_key" ON "PortLink"("secretHash");
CREATE INDEX "PortLink_workspaceId_port_idx" ON "PortLink"("workspaceId", "port");

ALTER TABLE "PortLink" ADD CONSTRAINT "PortLink_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PortLink" ADD CONSTRAINT "PortLink_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
