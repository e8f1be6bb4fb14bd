-- Preview URLs' share levels: per workspace port, and a cap per team.
CREATE TYPE "PortShare" AS ENUM ('OWNER', 'TEAM', 'AUTHENTICATED', 'PUBLIC');

ALTER TABLE "Team" ADD COLUMN "maxPortShare" "PortShare" NOT NULL DEFAULT 'PUBLIC';

CREATE TABLE "WorkspacePort" (
    "workspaceId" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "share" "PortShare" NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WorkspacePort_pkey" PRIMARY KEY ("workspaceId", "port"),
    CONSTRAINT "WorkspacePort_port_check" CHECK ("port" BETWEEN 1 AND 65535)
);

ALTER TABLE "WorkspacePort" ADD CONSTRAINT "WorkspacePort_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
