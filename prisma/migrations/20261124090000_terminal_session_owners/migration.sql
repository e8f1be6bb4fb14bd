-- CreateTable
CREATE TABLE "TerminalSession" (
    "workspaceId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "replicaId" TEXT NOT NULL,
    "replicaUrl" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TerminalSession_pkey" PRIMARY KEY ("workspaceId","userId","sessionId")
);

-- CreateIndex
CREATE INDEX "TerminalSession_replicaId_idx" ON "TerminalSession"("replicaId");
