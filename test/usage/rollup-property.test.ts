import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { utcTimestamp } from "@/lib/usage/meter";
import { rollUpBatch } from "@/lib/usage/rollup";
import { createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// Property: however intervals open, close and get rolled up (passes at any
// times, in small batches, interleaved with closes), once everything due at T
// is rolled up, the daily rollups equal the raw intervals, each clipped where
// its watermark says and split at UTC midnights, to the second; and every
// watermark is at T, but a stopped workspace's volume's at the start of T's
// hour (rollup.ts: those roll up once an hour). And each team's daily totals
// equal the sums of its workspaces' rows, exactly, after every pass. Each pass
// runs the two teams' shares at once (rollUpUsage's batches), and a
// workspace's intervals may name both teams, so the shares add to the same
// workspace's days concurrently.

usePostgresAppDatabase();

const DAY = 86_400;
const EPOCH = Date.UTC(2026, 0, 1) / 1000;
const WORKSPACES = ["w1", "w2", "w3", "w4"];

interface IntervalCase {
  workspace: string;
  team: number;
  template: string;
  kind: "COMPUTE" | "STORAGE";
  start: number;
  /** Seconds after start when it closes; null stays open. */
  length: number | null;
  cpuMillicores: number;
  memoryMiB: number;
  storageGiB: number;
}

const intervalCase = fc.record({
  workspace: fc.constantFrom(...WORKSPACES),
  /** The team and template the interval is metered for: a workspace's intervals may name different ones. */
  team: fc.integer({ min: 0, max: 1 }),
  template: fc.constantFrom("t1", "t2"),
  kind: fc.constantFrom("COMPUTE" as const, "STORAGE" as const),
  start: fc.integer({ min: 0, max: 4 * DAY }),
  length: fc.option(fc.integer({ min: 0, max: 3 * DAY }), { nil: null }),
  cpuMillicores: fc.integer({ min: 0, max: 8000 }),
  memoryMiB: fc.integer({ min: 0, max: 32_768 }),
  storageGiB: fc.integer({ min: 0, max: 500 }),
});

const seconds = (s: number) => new Date((EPOCH + s) * 1000);
type Totals = { cpu: bigint; memory: bigint; storage: bigint; workspace: bigint; sessions: number; sessionSeconds: bigint };
const zero = (): Totals => ({ cpu: 0n, memory: 0n, storage: 0n, workspace: 0n, sessions: 0, sessionSeconds: 0n });

type Interval = { workspaceId: string; kind: string; cpuMillicores: number; memoryMiB: number; storageGiB: number; startedAt: Date; endedAt: Date | null };

/** The raw truth: each interval's time up to its watermark, split at UTC midnights, keyed "workspace day"; a session once it is done. */
function expected(intervals: Array<Interval & { rolledUpUntil: Date; done: boolean }>) {
  const byKey = new Map<string, Totals>();
  const add = (workspace: string, dayStart: number, change: (t: Totals) => void) => {
    const key = `${workspace} ${new Date(dayStart * 1000).toISOString().slice(0, 10)}`;
    const totals = byKey.get(key) ?? zero();
    change(totals);
    byKey.set(key, totals);
  };
  for (const interval of intervals) {
    const start = interval.startedAt.getTime() / 1000;
    const end = interval.rolledUpUntil.getTime() / 1000;
    for (let day = Math.floor(start / DAY) * DAY; day < end; day += DAY) {
      const piece = BigInt(Math.min(end, day + DAY) - Math.max(start, day));
      add(interval.workspaceId, day, (t) => {
        t.cpu += BigInt(interval.cpuMillicores) * piece;
        t.memory += BigInt(interval.memoryMiB) * piece;
        t.storage += BigInt(interval.storageGiB) * piece;
        if (interval.kind === "COMPUTE") t.workspace += piece;
      });
    }
    if (interval.kind === "COMPUTE" && interval.done) {
      const ended = interval.endedAt!.getTime() / 1000;
      add(interval.workspaceId, Math.floor(ended / DAY) * DAY, (t) => {
        t.sessions += 1;
        t.sessionSeconds += BigInt(ended - start);
      });
    }
  }
  // Rows with nothing in them are not written.
  return new Map([...byKey].filter(([, t]) => t.cpu + t.memory + t.storage + t.workspace + t.sessionSeconds > 0n || t.sessions > 0));
}

describe("daily rollups", () => {
  let fixtures: { teamIds: string[]; userId: string };
  beforeAll(async () => {
    const user = await createUser("owner@rollup.test");
    // Ids that fall in different shares of two (hashtext is PostgreSQL's own, the same on every install of a version).
    const teamIds = ["rollup-team-0", "rollup-team-1"];
    for (const id of teamIds) await getDb().team.create({ data: { id, slug: id, name: id, memberships: { create: { userId: user.id, role: "OWNER" } } } });
    const shares = await getDb().$queryRaw<Array<{ share: number }>>`SELECT (hashtext(id) & 2147483647) % 2 AS share FROM unnest(${teamIds}::text[]) AS id`;
    expect(shares.map((row) => row.share)).toEqual([0, 1]);
    fixtures = { teamIds, userId: user.id };
  });

  it("equal the raw sum of the intervals, whatever the passes and closes", { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(intervalCase, { minLength: 1, maxLength: 25 }),
        // Rollup passes at arbitrary times (not in order), with a small batch size.
        fc.array(fc.integer({ min: 0, max: 8 * DAY }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 7 }),
        // The final passes: at the start of an hour of the last day, then at any second of that hour.
        fc.integer({ min: 0, max: DAY - 1 }),
        async (cases: IntervalCase[], passes: number[], batchSize: number, last: number) => {
          const db = getDb();
          await db.usageDailyRollup.deleteMany();
          await db.usageTeamDailyRollup.deleteMany();
          await db.usageWorkspaceWeeklyRollup.deleteMany();
          await db.usageInterval.deleteMany();
          // Each interval opens, maybe meets a rollup pass, and maybe closes; opening one closes the open one of its workspace and kind.
          const rows = cases.map((c, index) => ({ ...c, id: `i${index}` }));
          const events = passes.map((p) => ({ pass: p }));
          for (const row of rows) {
            const open = await db.usageInterval.findFirst({ where: { workspaceId: row.workspace, kind: row.kind, endedAt: null } });
            // Close the previous open interval of this workspace and kind where this one starts (as the meter would).
            if (open) await close(open.id, row.start);
            await db.usageInterval.create({
              data: {
                id: row.id,
                kind: row.kind,
                workspaceId: row.workspace,
                teamId: fixtures.teamIds[row.team]!,
                userId: fixtures.userId,
                templateId: row.template,
                cpuMillicores: row.cpuMillicores,
                memoryMiB: row.memoryMiB,
                storageGiB: row.storageGiB,
                startedAt: seconds(row.start),
                rolledUpUntil: seconds(row.start),
              },
            });
            const event = events.shift();
            if (event) await pass(seconds(event.pass), batchSize);
            if (row.length !== null) await close(row.id, row.start + row.length);
          }
          for (const event of events) await pass(seconds(event.pass), batchSize);

          const until = seconds(9 * DAY + last);
          const hour = new Date(Math.floor(until.getTime() / 3_600_000) * 3_600_000);
          // A batch takes up to batchSize of each kind of due interval: fewer in all (in each share), nothing more is due.
          for (const at of [hour, until]) while ((await pass(at, batchSize)) >= batchSize);

          const intervals = await db.usageInterval.findMany({ include: { backlog: true } });
          // A closed interval's watermark is its backlog row's; without one it is done, wholly counted.
          const want = expected(
            intervals.map((i) => ({
              ...i,
              rolledUpUntil: i.endedAt === null ? i.rolledUpUntil : (i.backlog?.rolledUpUntil ?? i.endedAt),
              done: i.endedAt !== null && i.backlog === null,
            })),
          );
          const got = new Map(
            (await db.usageDailyRollup.findMany()).map((r) => [
              `${r.workspaceId} ${r.day.toISOString().slice(0, 10)}`,
              {
                cpu: r.cpuMillicoreSeconds,
                memory: r.memoryMiBSeconds,
                storage: r.storageGiBSeconds,
                workspace: r.workspaceSeconds,
                sessions: r.computeSessions,
                sessionSeconds: r.computeSessionSeconds,
              },
            ]),
          );
          expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
          expect(intervals.filter((i) => i.backlog !== null)).toEqual([]);
          const running = new Set(intervals.filter((i) => i.kind === "COMPUTE" && i.endedAt === null).map((i) => i.workspaceId));
          for (const open of intervals.filter((i) => i.endedAt === null)) {
            const stoppedVolume = open.kind === "STORAGE" && !running.has(open.workspaceId);
            expect(open.rolledUpUntil).toEqual(stoppedVolume ? hour : until);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

const SUMS = { cpuMillicoreSeconds: true, memoryMiBSeconds: true, storageGiBSeconds: true, workspaceSeconds: true, computeSessions: true, computeSessionSeconds: true } as const;

/**
 * One rollup batch in each of two shares of the teams, at once; then each
 * team's and template's days must equal the sums of its workspaces' rows.
 * Returns the most either share took.
 */
async function pass(at: Date, batchSize: number): Promise<number> {
  const db = getDb();
  const taken = Math.max(...(await Promise.all([0, 1].map((index) => rollUpBatch(db, at, batchSize, { index, of: 2 })))));
  const key = (row: { teamId: string; templateId: string; day: Date }) => `${row.teamId} ${row.templateId} ${row.day.toISOString().slice(0, 10)}`;
  const teamDays = await db.usageTeamDailyRollup.findMany();
  const sums = await db.usageDailyRollup.groupBy({ by: ["teamId", "templateId", "day"], _sum: SUMS });
  expect(Object.fromEntries(teamDays.map(({ teamId, templateId, day, ...totals }) => [key({ teamId, templateId, day }), totals]))).toEqual(
    Object.fromEntries(sums.map((row) => [key(row), row._sum])),
  );
  // And each workspace's weeks the sums of its days' CPU, where there is any.
  const weeks = await db.usageWorkspaceWeeklyRollup.findMany();
  const weekSums = await db.$queryRaw<Array<{ week: Date; workspaceId: string; cpu: bigint }>>`
    SELECT date_trunc('week', "day")::date AS "week", "workspaceId", SUM("cpuMillicoreSeconds")::bigint AS "cpu"
      FROM "UsageDailyRollup" GROUP BY 1, 2 HAVING SUM("cpuMillicoreSeconds") > 0`;
  const weekKey = (row: { week: Date; workspaceId: string }) => `${row.workspaceId} ${row.week.toISOString().slice(0, 10)}`;
  expect(Object.fromEntries(weeks.map((row) => [weekKey(row), row.cpuMillicoreSeconds]))).toEqual(Object.fromEntries(weekSums.map((row) => [weekKey(row), row.cpu])));
  return taken;
}

/** Closes an interval the way the meter does: never before what is already rolled up. */
async function close(id: string, at: number) {
  await getDb().$executeRaw`
    UPDATE "UsageInterval" SET "endedAt" = GREATEST(${utcTimestamp(seconds(at))}, "startedAt", "rolledUpUntil") WHERE "id" = ${id} AND "endedAt" IS NULL`;
}
