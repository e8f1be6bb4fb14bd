-- Keyset pagination of the workspace list and the audit log: each page is an
-- index range read in (createdAt, id) order, however many rows there are.

-- CreateIndex
CREATE INDEX "Workspace_ownerId_createdAt_id_idx" ON "Workspace"("ownerId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Workspace_teamId_createdAt_id_idx" ON "Workspace"("teamId", "createdAt", "id");

-- The audit log's (createdAt) and (teamId, createdAt) gain id, the tie-breaker of its order.
-- DropIndex
DROP INDEX "AuditLog_createdAt_idx";

-- DropIndex
DROP INDEX "AuditLog_teamId_createdAt_idx";

-- CreateIndex
CREATE INDEX "AuditLog_createdAt_id_idx" ON "AuditLog"("createdAt", "id");

-- CreateIndex
CREATE INDEX "AuditLog_teamId_createdAt_id_idx" ON "AuditLog"("teamId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "AuditLog_action_createdAt_id_idx" ON "AuditLog"("action", "createdAt", "id");

-- CreateIndex
CREATE INDEX "AuditLog_actorId_createdAt_id_idx" ON "AuditLog"("actorId", "createdAt", "id");
