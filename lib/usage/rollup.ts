import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";
import { utcTimestamp, wholeSecond } from "./meter";

// Daily rollups, kept incrementally. Each interval remembers how far the
// rollups already hold it (rolledUpUntil); a pass takes a batch of intervals
// with time not yet counted, splits that time at UTC midnights, adds it to
// the per-workspace, per-day rows (and to their team's and template's day,
// UsageTeamDailyRollup, their user's, UsageUserDailyRollup, and the
// workspace's week, UsageWorkspaceWeeklyRollup, for the dashboards) and
// moves rolledUpUntil on, all in one statement. Open intervals are counted up
// to `now`, so today's figures grow while a workspace runs. A closed interval waits in UsageRollupBacklog (a copy of it
// with its watermark, written when it closes; see the migration
// 20261211100000_usage_rollup_backlog); its last pass also counts it as a
// session, on the day it ended, and deletes that row: it is done. Rows are
// taken FOR UPDATE SKIP LOCKED and every addition moves its own watermark (or
// deletes the backlog row) in the same transaction, so no second of usage is
// counted twice or dropped, whatever crashes or overlapping passes happen.
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
// reads the team's days and adds what they don't hold yet (past each
// interval's watermark), so it is exact at any point of a pass. Each of these is a
// range of an index (the backlog's, or a partial one of UsageInterval's), so a
// pass reads what is due, not every workspace's volume.

/**
 * Intervals per kind of due interval (see `due` below) in one batch: a
 * bounded transaction (seconds), large enough that a backlog (the first
 * rollup after an upgrade or an outage) takes few batches.
 */
const DEFAULT_BATCH = 50_000;

/**
 * Once a pass finds a backlog, it takes the closed intervals in batches this
 * many times as large, without the open ones: such a batch locks rows of
 * UsageRollupBacklog only, which nothing but a rollup touches (the meter
 * closing an interval inserts one), so a longer transaction keeps nobody
 * waiting but an overlapping pass on the same rollup rows, and the backlog
 * takes fewer statements, each of which visits fewer of the rollup tables'
 * pages again. The open intervals' row locks, which the meter does wait for,
 * stay in batches of the normal size.
 */
const BACKLOG_FACTOR = 4;

/**
 * A pass runs this many batches at once, each on a connection of its own and
 * over its own share of the teams, so that a backlog (the first rollup after
 * an upgrade or an outage) keeps more than one of the database's cores busy.
 * Shared by team, so two batches never add to the same team's or user's day;
 * a workspace's day is shared only by intervals of it that name different
 * teams (rare), and then one batch waits for the other's row lock. While a
 * backlog lasts it holds two of the background pool's connections.
 */
const SHARES = 2;

/** Which of `of` shares of the teams a batch takes: those whose id hashes to `index`. */
export interface TeamShare {
  index: number;
  of: number;
}

const EVERY_TEAM: TeamShare = { index: 0, of: 1 };

/** The batch is one statement (the SET aside), bounded by its size; Prisma's default 5 s would cut a large one off under load. */
const BATCH_TRANSACTION = { maxWait: 30_000, timeout: 600_000 } as const;

type RollupDb = Pick<PrismaClient, "$transaction" | "$executeRaw" | "$queryRaw">;

const COLUMNS = Prisma.sql`"kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "storageGiB", "startedAt", "endedAt", "rolledUpUntil"`;

/**
 * The intervals due at `until`, as four disjoint sets, each one range of a
 * partial index read in order, then locked (SKIP LOCKED: an overlapping pass
 * takes others). One ORDER BY over an OR of them would sort
 * the whole backlog every batch (a sequential scan of every interval when the
 * backlog is large), so a batch would cost the backlog, not the batch.
 */
function due(until: Prisma.Sql, size: BatchSize, share: TeamShare) {
  // The range is read in index order, then locked in the heap's order (a TID
  // scan visits its TIDs sorted): in the index's order every lock, and then
  // every watermark, dirtied a random page of a table larger than the buffer
  // cache, so a large backlog wrote each page back many times. A row that
  // another pass changed in between is no longer at its TID, or no longer
  // due (the condition is checked again on the row it locks): it is skipped.
  const ofShare = share.of === 1 ? Prisma.empty : Prisma.sql` AND (hashtext("teamId") & 2147483647) % ${share.of} = ${share.index}`;
  const arm = (name: string, table: "UsageRollupBacklog" | "UsageInterval", condition: Prisma.Sql, limit: number) => {
    const where = Prisma.sql`${condition}${ofShare}`;
    const from = Prisma.raw(`"${table}"`);
    return Prisma.sql`
    ${Prisma.raw(`"${name}"`)} AS (
      SELECT ctid, ${Prisma.raw(table === "UsageRollupBacklog" ? "true" : "false")} AS "closed", ${COLUMNS} FROM ${from}
       WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${from} WHERE ${where} ORDER BY "rolledUpUntil" LIMIT ${limit})) AND ${where}
         FOR UPDATE SKIP LOCKED
    )`;
  };
  // Workspaces holding compute: few (an open COMPUTE interval each).
  const running = Prisma.sql`ARRAY(SELECT "workspaceId" FROM "UsageInterval" WHERE "endedAt" IS NULL AND "kind" = 'COMPUTE')`;
  return Prisma.join(
    [
      // Closed, not done: rolledUpUntil <= endedAt, so these are rolledUpUntil <= until (the backlog index's range).
      arm("closed", "UsageRollupBacklog", Prisma.sql`"rolledUpUntil" <= ${until} AND ("rolledUpUntil" < ${until} OR "endedAt" <= ${until})`, size.closed),
      arm("compute", "UsageInterval", Prisma.sql`"endedAt" IS NULL AND "kind" = 'COMPUTE' AND "rolledUpUntil" < ${until}`, size.open),
      arm("runningVolumes", "UsageInterval", Prisma.sql`"endedAt" IS NULL AND "kind" = 'STORAGE' AND "rolledUpUntil" < ${until} AND "workspaceId" = ANY(${running})`, size.open),
      arm("stoppedVolumes", "UsageInterval", Prisma.sql`"endedAt" IS NULL AND "kind" = 'STORAGE' AND "rolledUpUntil" < date_trunc('hour', ${until}) AND NOT ("workspaceId" = ANY(${running}))`, size.open),
    ],
    ",",
  );
}

const SUMS = ["cpuMillicoreSeconds", "memoryMiBSeconds", "storageGiBSeconds", "workspaceSeconds", "computeSessions", "computeSessionSeconds"] as const;

const SUM_COLUMNS = Prisma.raw(SUMS.map((column) => `"${column}"`).join(", "));

/** ON CONFLICT's SET clause that adds a row's sums to `table`'s. */
const addSums = (table: string) =>
  Prisma.raw(SUMS.map((column) => `"${column}" = "${table}"."${column}" + EXCLUDED."${column}"`).join(", "));

/** Intervals a batch takes at most of each kind of due interval: the closed ones (the backlog) and each kind of open one. */
interface BatchSize {
  closed: number;
  open: number;
}

/**
 * Rolls up one batch of what is due at `now` in `share` of the teams: up to
 * `batchSize` intervals of each kind of due interval (`openBatchSize` of each
 * kind of open one; 0 takes none). Returns how many it took; fewer than
 * `batchSize` (and `openBatchSize` no larger): nothing more is due there (but
 * what an overlapping pass holds).
 */
export async function rollUpBatch(db: RollupDb, now: Date, batchSize = DEFAULT_BATCH, share = EVERY_TEAM, openBatchSize = batchSize): Promise<number> {
  const until = utcTimestamp(wholeSecond(now));
  const size: BatchSize = { closed: batchSize, open: openBatchSize };
  // The planner can't know how many days an interval spans (generate_series:
  // a thousand rows, it guesses), so it thinks a batch costs millions and
  // JIT-compiles the statement: seconds of compiling for milliseconds of work.
  // A full batch's sorts and aggregates need tens of megabytes; with the
  // default 4 MB they spill to disk.
  const settings = db.$queryRaw`SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`;
  const [, [result]] = await db.$transaction([settings, db.$queryRaw<{ taken: bigint }[]>`
    WITH ${due(until, size, share)},
    pending AS (
      SELECT *, "rolledUpUntil" AS "from", LEAST(COALESCE("endedAt", ${until}), ${until}) AS "to",
             ("endedAt" IS NOT NULL AND "endedAt" <= ${until}) AS "finished"
        FROM (SELECT * FROM "closed" UNION ALL SELECT * FROM "compute" UNION ALL SELECT * FROM "runningVolumes" UNION ALL SELECT * FROM "stoppedVolumes") AS taken
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
    -- One row per workspace and day: a batch may hold intervals of one
    -- workspace naming different owners (a claimed warm-pool member), teams or
    -- templates, and one INSERT may not upsert a row twice; a new row takes
    -- the least of them, an existing one keeps its own (so when a backlog's
    -- shares each hold some of such a workspace's day, the first to commit
    -- names it; either way its team's and template's days add up to it).
    -- No row of zeros: a STORAGE interval of
    -- 0 GiB (and no CPU or memory) adds nothing, and the raw intervals it
    -- stands for have no usage that day. Every sum is non-negative, so this
    -- keeps each row that adds anything; COMPUTE time (even at 0 CPU and
    -- memory) and a session count.
    workspaceDays AS (
      SELECT "day", "workspaceId", MIN("teamId") AS "teamId", MIN("userId") AS "userId", MIN("templateId") AS "templateId",
             SUM("cpu") AS "cpuMillicoreSeconds", SUM("memory") AS "memoryMiBSeconds", SUM("storage") AS "storageGiBSeconds",
             SUM("workspace") AS "workspaceSeconds", SUM("sessions") AS "computeSessions", SUM("sessionSeconds") AS "computeSessionSeconds"
        FROM additions GROUP BY "day", "workspaceId"
      HAVING SUM("cpu") + SUM("memory") + SUM("storage") + SUM("workspace") + SUM("sessions") > 0
    ),
    -- In a fixed order, so that overlapping passes lock the rows they share in the same order (no deadlock).
    upserted AS (
      INSERT INTO "UsageDailyRollup" ("day", "workspaceId", "teamId", "userId", "templateId", ${SUM_COLUMNS}, "updatedAt")
      SELECT "day", "workspaceId", "teamId", "userId", "templateId", ${SUM_COLUMNS}, now()
        FROM workspaceDays ORDER BY "workspaceId", "day"
      ON CONFLICT ("workspaceId", "day") DO UPDATE SET ${addSums("UsageDailyRollup")}, "updatedAt" = EXCLUDED."updatedAt"
      RETURNING "workspaceId", "day", "teamId", "userId", "templateId", "workspaceSeconds"
    ),
    -- The same additions to the team's and template's day, under the team
    -- and template the workspace's row is counted for (the row keeps its first
    -- interval's), so a team's day always equals the sum of its workspaces'
    -- rows for that day.
    teamDays AS (
      INSERT INTO "UsageTeamDailyRollup" ("day", "teamId", "templateId", ${SUM_COLUMNS})
      SELECT w."day", u."teamId", u."templateId", ${Prisma.raw(SUMS.map((c) => `SUM(w."${c}")`).join(", "))}
        FROM workspaceDays w JOIN upserted u ON u."workspaceId" = w."workspaceId" AND u."day" = w."day"
       GROUP BY w."day", u."teamId", u."templateId" ORDER BY w."day", u."teamId", u."templateId"
      ON CONFLICT ("day", "teamId", "templateId") DO UPDATE SET ${addSums("UsageTeamDailyRollup")}
      RETURNING 1
    ),
    -- The same CPU to the workspace's week (from Monday), where there is any:
    -- the all-teams dashboard ranks workspaces by it (lib/usage/report.ts).
    workspaceWeeks AS (
      INSERT INTO "UsageWorkspaceWeeklyRollup" ("week", "workspaceId", "cpuMillicoreSeconds")
      SELECT date_trunc('week', "day")::date, "workspaceId", SUM("cpuMillicoreSeconds")
        FROM workspaceDays WHERE "cpuMillicoreSeconds" > 0
       GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT ("week", "workspaceId") DO UPDATE SET "cpuMillicoreSeconds" = "UsageWorkspaceWeeklyRollup"."cpuMillicoreSeconds" + EXCLUDED."cpuMillicoreSeconds"
      RETURNING 1
    ),
    -- The user of each workspace row (as the team above) is active on its
    -- day once the row holds compute time; rows never lose time, so a user's
    -- day is only ever added.
    userDays AS (
      INSERT INTO "UsageUserDailyRollup" ("day", "teamId", "userId")
      SELECT DISTINCT "day", "teamId", "userId" FROM upserted WHERE "workspaceSeconds" > 0 ORDER BY "day", "teamId", "userId"
      ON CONFLICT DO NOTHING
      RETURNING 1
    ),
    -- By TID, as locked (see due): in the heap's order, with no index to look up.
    -- An open interval's watermark moves on; a closed one's backlog row goes
    -- once it is wholly counted, else (it closes after this pass's now) its watermark moves.
    marked AS (
      UPDATE "UsageInterval" u SET "rolledUpUntil" = GREATEST(p."to", p."from")
        FROM pending p WHERE NOT p."closed" AND u.ctid = p.ctid
      RETURNING 1
    ),
    done AS (
      DELETE FROM "UsageRollupBacklog" b USING pending p WHERE p."closed" AND p."finished" AND b.ctid = p.ctid
      RETURNING 1
    ),
    moved AS (
      UPDATE "UsageRollupBacklog" b SET "rolledUpUntil" = GREATEST(p."to", p."from")
        FROM pending p WHERE p."closed" AND NOT p."finished" AND b.ctid = p.ctid
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM marked) + (SELECT count(*) FROM done) + (SELECT count(*) FROM moved) AS "taken", (SELECT count(*) FROM teamDays) AS "teamDays", (SELECT count(*) FROM userDays) AS "userDays"`], BATCH_TRANSACTION);
  return Number(result?.taken ?? 0);
}

/**
 * Rolls up batches until nothing is due at `now`; returns the number of
 * intervals taken. Usually one batch holds all that is due; a backlog is
 * then rolled up SHARES batches at a time: first its closed intervals, in
 * batches BACKLOG_FACTOR times as large (see there), then what is left (the
 * open ones, and what closed meanwhile) in batches of `batchSize`.
 */
export async function rollUpUsage(db: RollupDb, now: Date, batchSize = DEFAULT_BATCH): Promise<number> {
  const first = await rollUpBatch(db, now, batchSize);
  if (first < batchSize) return first;
  const backlogBatchSize = batchSize * BACKLOG_FACTOR;
  /** Batches of `size` (and `openSize` open ones each) until one comes back with fewer than `size`. */
  const batches = async (share: TeamShare, size: number, openSize: number) => {
    let total = 0;
    for (;;) {
      const taken = await rollUpBatch(db, now, size, share, openSize);
      total += taken;
      if (taken < size) return total;
    }
  };
  const rollUpShare = async (share: TeamShare) => (await batches(share, backlogBatchSize, 0)) + (await batches(share, batchSize, batchSize));
  // Each share to its end, even when another fails: a pass doesn't return while one of its batches still runs.
  const shares = await Promise.allSettled(Array.from({ length: SHARES }, (_, index) => rollUpShare({ index, of: SHARES })));
  const failed = shares.find((share) => share.status === "rejected");
  if (failed) throw failed.reason;
  return shares.reduce((total, share) => total + (share.status === "fulfilled" ? share.value : 0), first);
}
