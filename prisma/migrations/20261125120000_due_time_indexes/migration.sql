-- The background loops find what is due through indexes, not by scanning the
-- fleet (lib/usage/usage-loop.ts, lib/usage/rollup.ts, lib/workspaces/policy-loop.ts).

-- The usage loop's repair: workspaces whose state changed since its last pass.
CREATE INDEX "Workspace_stateChangedAt_idx" ON "Workspace"("stateChangedAt");

-- The policy loop: dormant workspaces without a scheduled deletion, once
-- deletion is turned on, without reading every stopped workspace.
DROP INDEX "Workspace_desiredState_deletionScheduledAt_idx";
CREATE INDEX "Workspace_desiredState_deletionScheduledAt_dormantAt_idx" ON "Workspace"("desiredState", "deletionScheduledAt", "dormantAt");

-- The rollup's backlog (partial indexes; see the UsageInterval model). Open
-- STORAGE intervals come due once an hour, COMPUTE ones every pass: one index
-- on (kind, rolledUpUntil) of the open ones finds each kind's due rows without
-- reading the others. Closed intervals not yet rolled up are few, each done at
-- the next pass.
DROP INDEX "UsageInterval_rollup_pending_idx";
CREATE INDEX "UsageInterval_rollup_open_idx" ON "UsageInterval"("kind", "rolledUpUntil") WHERE "endedAt" IS NULL;
CREATE INDEX "UsageInterval_rollup_closed_idx" ON "UsageInterval"("rolledUpUntil") WHERE NOT "rolledUp" AND "endedAt" IS NOT NULL;
