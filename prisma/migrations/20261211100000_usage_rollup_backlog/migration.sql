-- Closed intervals not yet wholly rolled up get a row of their own, a copy of
-- the (then immutable) interval, which the rollup deletes once it has counted
-- it (lib/usage/rollup.ts). Marking the interval itself done rewrote it: a new
-- row version and an entry in each of its indexes per interval, never a HOT
-- update since the watermark was in the backlog's index; deleting a narrow
-- row writes no index. The interval keeps its watermark as of its close.
CREATE TABLE "UsageRollupBacklog" (
    "intervalId" TEXT NOT NULL,
    "kind" "UsageKind" NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "templateId" TEXT NOT NULL,
    "cpuMillicores" INTEGER NOT NULL,
    "memoryMiB" INTEGER NOT NULL,
    "storageGiB" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3) NOT NULL,
    "rolledUpUntil" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UsageRollupBacklog_pkey" PRIMARY KEY ("intervalId")
);

-- A team's usage goes with it: the intervals with the team, their backlog rows with them.
ALTER TABLE "UsageRollupBacklog" ADD CONSTRAINT "UsageRollupBacklog_intervalId_fkey" FOREIGN KEY ("intervalId") REFERENCES "UsageInterval"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The rollup takes the backlog in watermark order, as it took the closed intervals.
CREATE INDEX "UsageRollupBacklog_rolledUpUntil_idx" ON "UsageRollupBacklog"("rolledUpUntil");

-- An interval joins the backlog when it closes (the meter, the usage loop's
-- repair) or is written closed, whoever writes it.
CREATE FUNCTION "UsageInterval_join_rollup_backlog"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "UsageRollupBacklog" ("intervalId", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "storageGiB", "startedAt", "endedAt", "rolledUpUntil")
  VALUES (NEW."id", NEW."kind", NEW."workspaceId", NEW."teamId", NEW."userId", NEW."templateId", NEW."cpuMillicores", NEW."memoryMiB", NEW."storageGiB", NEW."startedAt", NEW."endedAt", NEW."rolledUpUntil");
  RETURN NULL;
END
$$;

CREATE TRIGGER "UsageInterval_closed_insert" AFTER INSERT ON "UsageInterval"
  FOR EACH ROW WHEN (NEW."endedAt" IS NOT NULL) EXECUTE FUNCTION "UsageInterval_join_rollup_backlog"();
CREATE TRIGGER "UsageInterval_closed_update" AFTER UPDATE OF "endedAt" ON "UsageInterval"
  FOR EACH ROW WHEN (OLD."endedAt" IS NULL AND NEW."endedAt" IS NOT NULL) EXECUTE FUNCTION "UsageInterval_join_rollup_backlog"();

-- An upgraded install's backlog: the closed intervals not yet rolled up, from their watermarks.
INSERT INTO "UsageRollupBacklog" ("intervalId", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "storageGiB", "startedAt", "endedAt", "rolledUpUntil")
SELECT "id", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "storageGiB", "startedAt", "endedAt", "rolledUpUntil"
  FROM "UsageInterval" WHERE "endedAt" IS NOT NULL AND NOT "rolledUp";

DROP INDEX "UsageInterval_rollup_closed_idx";
ALTER TABLE "UsageInterval" DROP COLUMN "rolledUp";
