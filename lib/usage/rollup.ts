import type { PrismaClient } from "@/lib/generated/prisma/client";
import { utcTimestamp, wholeSecond } from "./meter";

// Daily rollups, kept incrementally. Each interval remembers how far the
// rollups already hold it (rolledUpUntil); a pass takes a batch of intervals
// with time not yet counted, splits that time at UTC midnights, adds it to
// the per-workspace, per-day rows and moves rolledUpUntil on, all in one
// statement. Open intervals are counted up to `now`, so today's figures grow
// while a workspace runs; a closed interval's last pass also counts it as a
// session, on the day it ended, and marks it done (rolledUp). Rows are taken
// FOR UPDATE SKIP LOCKED and every addition moves its own watermark in the
// same transaction, so no second of usage is counted twice or dropped,
// whatever crashes or overlapping passes happen.
//
// Which intervals a pass takes (it counts each of them up to `now`):
// - closed ones not yet done, every pass: they are few, each done at once;
// - the open ones of workspaces that hold compute (STARTING or RUNNING: few),
//   COMPUTE and STORAGE alike, every pass, so a running workspace's figures
//   are at most a pass behind and agree with each other;
// - every other open STORAGE interval (the volumes of stopped workspaces,
//   most of the fleet) once an hour: when a pass finds it rolled up to before
//   the current UTC hour. Rolling those every minute would cost a write per
//   workspace per minute for a figure that grows slowly.
// So today's storage of a stopped workspace on the dashboard and in the CSV
// export (report.ts, export.ts: both read the rollups) is up to an hour
// behind, and a day's figures are complete at the first pass after midnight,
// as before. Stopping, resizing or deleting closes an interval, which then
// rolls up at the next pass. The monthly CPU budget (lib/quotas/budget.ts)
// reads the COMPUTE intervals themselves, not the rollups. Each of these is a
// range of a partial index (the UsageInterval model), so a pass reads what is
// due, not every workspace's volume.

const DEFAULT_BATCH = 5_000;

/** Rolls up one batch of what is due at `now`; returns how many intervals it took (fewer than `batchSize`: nothing more is due). */
export async function rollUpBatch(db: Pick<PrismaClient, "$queryRaw">, now: Date, batchSize = DEFAULT_BATCH): Promise<number> {
  const until = utcTimestamp(wholeSecond(now));
  const [result] = await db.$queryRaw<{ taken: bigint }[]>`
    WITH pending AS (
      SELECT "id", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "storageGiB",
             "startedAt", "endedAt", "rolledUpUntil" AS "from", LEAST(COALESCE("endedAt", ${until}), ${until}) AS "to",
             ("endedAt" IS NOT NULL AND "endedAt" <= ${until}) AS "finished"
        FROM "UsageInterval"
       -- One arm per index range (see above), so that the planner ORs index scans.
       WHERE NOT "rolledUp" AND (
               ("endedAt" IS NOT NULL AND ("rolledUpUntil" < ${until} OR "endedAt" <= ${until}))
               OR ("endedAt" IS NULL AND "kind" = 'COMPUTE' AND "rolledUpUntil" < ${until})
               OR ("endedAt" IS NULL AND "kind" = 'STORAGE' AND "rolledUpUntil" < ${until}
                   AND "workspaceId" = ANY(ARRAY(SELECT "workspaceId" FROM "UsageInterval" WHERE "endedAt" IS NULL AND "kind" = 'COMPUTE')))
               OR ("endedAt" IS NULL AND "kind" = 'STORAGE' AND "rolledUpUntil" < date_trunc('hour', ${until})))
       ORDER BY "rolledUpUntil"
       LIMIT ${batchSize}
         FOR UPDATE SKIP LOCKED
    ),
    pieces AS (
      SELECT p.*, d.day::date AS "day",
             EXTRACT(EPOCH FROM LEAST(p."to", d.day + interval '1 day') - GREATEST(p."from", d.day))::bigint AS "seconds"
        FROM pending p, generate_series(date_trunc('day', p."from"), p."to", interval '1 day') AS d(day)
       WHERE d.day < p."to"
    ),
    additions AS (
      SELECT "workspaceId", "day", "teamId", "userId", "templateId",
             SUM("cpuMillicores"::bigint * "seconds") AS "cpu",
             SUM("memoryMiB"::bigint * "seconds") AS "memory",
             SUM("storageGiB"::bigint * "seconds") AS "storage",
             SUM(CASE WHEN "kind" = 'COMPUTE' THEN "seconds" ELSE 0 END) AS "workspace",
             0 AS "sessions", 0::bigint AS "sessionSeconds"
        FROM pieces GROUP BY 1, 2, 3, 4, 5
      UNION ALL
      SELECT "workspaceId", date_trunc('day', "endedAt")::date, "teamId", "userId", "templateId", 0, 0, 0, 0,
             1, EXTRACT(EPOCH FROM "endedAt" - "startedAt")::bigint
        FROM pending WHERE "finished" AND "kind" = 'COMPUTE'
    ),
    upserted AS (
      INSERT INTO "UsageDailyRollup" ("id", "day", "workspaceId", "teamId", "userId", "templateId", "cpuMillicoreSeconds",
                                      "memoryMiBSeconds", "storageGiBSeconds", "workspaceSeconds", "computeSessions", "computeSessionSeconds", "updatedAt")
      SELECT gen_random_uuid()::text, "day", "workspaceId", "teamId", "userId", "templateId",
             SUM("cpu"), SUM("memory"), SUM("storage"), SUM("workspace"), SUM("sessions"), SUM("sessionSeconds"), now()
        FROM additions GROUP BY "day", "workspaceId", "teamId", "userId", "templateId"
      -- No row of zeros: a STORAGE interval of 0 GiB (and no CPU or memory)
      -- adds nothing, and the raw intervals it stands for have no usage that
      -- day. Every sum is non-negative, so this keeps each row that adds
      -- anything; COMPUTE time (even at 0 CPU and memory) and a session count.
      HAVING SUM("cpu") + SUM("memory") + SUM("storage") + SUM("workspace") + SUM("sessions") > 0
      ON CONFLICT ("workspaceId", "day") DO UPDATE SET
        "cpuMillicoreSeconds" = "UsageDailyRollup"."cpuMillicoreSeconds" + EXCLUDED."cpuMillicoreSeconds",
        "memoryMiBSeconds" = "UsageDailyRollup"."memoryMiBSeconds" + EXCLUDED."memoryMiBSeconds",
        "storageGiBSeconds" = "UsageDailyRollup"."storageGiBSeconds" + EXCLUDED."storageGiBSeconds",
        "workspaceSeconds" = "UsageDailyRollup"."workspaceSeconds" + EXCLUDED."workspaceSeconds",
        "computeSessions" = "UsageDailyRollup"."computeSessions" + EXCLUDED."computeSessions",
        "computeSessionSeconds" = "UsageDailyRollup"."computeSessionSeconds" + EXCLUDED."computeSessionSeconds",
        "updatedAt" = EXCLUDED."updatedAt"
      RETURNING 1
    ),
    marked AS (
      UPDATE "UsageInterval" u SET "rolledUpUntil" = GREATEST(p."to", p."from"), "rolledUp" = p."finished"
        FROM pending p WHERE u."id" = p."id"
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM marked) AS "taken", (SELECT count(*) FROM upserted) AS "rows"`;
  return Number(result?.taken ?? 0);
}

/** Rolls up batches until nothing is due at `now`; returns the number of intervals taken. */
export async function rollUpUsage(db: Pick<PrismaClient, "$queryRaw">, now: Date, batchSize = DEFAULT_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const taken = await rollUpBatch(db, now, batchSize);
    total += taken;
    if (taken < batchSize) return total;
  }
}
