import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { createUsageLoop, type UsageLoop } from "@/lib/usage/usage-loop";
import { createFleetOwner, seedVolumes, seedWorkspaces, type FleetOwner } from "../helpers/fleet";
import { usePostgresAppDatabaseCounting } from "../helpers/query-counter";

// The usage loop over a fleet of stopped workspaces on PostgreSQL, each
// holding its volume as an open STORAGE interval: a pass costs what is due
// (state changes to repair, running workspaces, the hourly roll of the
// volumes), not the fleet, and every second is still counted once.

/** The statements the background pool's client (the usage loop's) sent. */
const queries = usePostgresAppDatabaseCounting("background");

const FLEET = 2_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/**
 * The loop's clock starts at 10:10 on a day after today, so that the seeded
 * workspaces' state changes (stamped by the database's clock) lie before the
 * watermark of every repair but the full ones.
 */
const START = new Date(Math.floor(Date.now() / (24 * HOUR_MS)) * 24 * HOUR_MS + 24 * HOUR_MS + 10 * HOUR_MS + 10 * MINUTE_MS);

describe("the usage loop over a large fleet on PostgreSQL", { timeout: 60_000 }, () => {
  let owner: FleetOwner;
  let clock = START;
  let loop: UsageLoop;
  const later = (ms: number) => (clock = new Date(clock.getTime() + ms));

  beforeAll(async () => {
    owner = await createFleetOwner("usage-scale");
    await seedWorkspaces(owner, "stopped", FLEET, "STOPPED", "STOPPED");
    await seedVolumes("stopped", FLEET, START);
    loop = createUsageLoop({ now: () => clock, intervalMs: 24 * HOUR_MS });
    // The first pass of a leadership: the full repair, which finds the fleet metered.
    expect(await loop.runOnce()).toEqual({ repaired: 0, rolledUp: 0 });
  });
  afterAll(async () => {
    await loop?.stop();
  });

  const openIntervals = (workspaceId: string) =>
    getDb().usageInterval.findMany({ where: { workspaceId, endedAt: null }, orderBy: { kind: "asc" }, select: { kind: true, startedAt: true, rolledUpUntil: true } });
  const totals = async (where: { workspaceId?: string } = {}) => {
    const sums = await getDb().usageDailyRollup.aggregate({ where, _sum: { storageGiBSeconds: true, workspaceSeconds: true } });
    return { storage: Number(sums._sum.storageGiBSeconds ?? 0n), workspace: Number(sums._sum.workspaceSeconds ?? 0n) };
  };
  /** Writes a state the way a replica without metering (or an operator in SQL) does: no interval opens. */
  const setStateUnmetered = (id: string, state: "RUNNING" | "STOPPED", stateChangedAt?: Date) =>
    getDb().workspace.update({ where: { id }, data: { state, desiredState: state, ...(stateChangedAt ? { stateChangedAt } : {}) } });

  it("touches no interval when nothing is due, in the same four statements whatever the fleet's size", async () => {
    const statementsOfPass = async () => {
      later(MINUTE_MS);
      const before = queries();
      expect(await loop.runOnce()).toEqual({ repaired: 0, rolledUp: 0 });
      return queries() - before;
    };
    const atFleet = await statementsOfPass();
    await seedWorkspaces(owner, "more", FLEET, "STOPPED", "STOPPED");
    await seedVolumes("more", FLEET, START);
    const atTwiceTheFleet = await statementsOfPass();

    // One for the workspaces whose state changed lately; three for the rollup of what is due: its batch's
    // transaction, with the SET that keeps JIT off (rollup.ts), the statement and the COMMIT (Prisma reports no BEGIN).
    expect([atFleet, atTwiceTheFleet]).toEqual([4, 4]);
    expect(await getDb().usageInterval.count({ where: { NOT: { rolledUpUntil: START } } })).toBe(0);
    expect(await getDb().usageDailyRollup.count()).toBe(0);
  });

  it("meters a state change written without the meter at the next pass, and rolls a running workspace up every pass", async () => {
    later(MINUTE_MS);
    const startedAt = new Date(clock);
    await setStateUnmetered("stopped1", "RUNNING", startedAt);
    // Its volume rolls up with its compute from now on.
    expect(await loop.runOnce()).toEqual({ repaired: 1, rolledUp: 1 });
    expect(await openIntervals("stopped1")).toEqual([
      { kind: "COMPUTE", startedAt, rolledUpUntil: startedAt },
      { kind: "STORAGE", startedAt: START, rolledUpUntil: startedAt },
    ]);

    // Both, every pass; not the stopped workspaces' volumes.
    later(MINUTE_MS);
    expect(await loop.runOnce()).toEqual({ repaired: 0, rolledUp: 2 });
    later(MINUTE_MS);
    expect(await loop.runOnce()).toEqual({ repaired: 0, rolledUp: 2 });
    expect(await totals({ workspaceId: "stopped1" })).toEqual({ workspace: 120, storage: (clock.getTime() - START.getTime()) / 1000 });
    expect(await totals()).toEqual(await totals({ workspaceId: "stopped1" }));
  });

  it("rolls the stopped workspaces' volumes up at the first pass of each hour, to the second", async () => {
    // 11:00:30: every volume is due once.
    clock = new Date(START.getTime() + 50 * MINUTE_MS + 30_000);
    expect(await loop.runOnce()).toEqual({ repaired: 0, rolledUp: 2 * FLEET + 1 });
    const seconds = (clock.getTime() - START.getTime()) / 1000;
    expect((await totals()).storage).toBe(2 * FLEET * seconds);
    expect(await getDb().usageInterval.count({ where: { endedAt: null, rolledUpUntil: clock } })).toBe(2 * FLEET + 1);

    // Within the hour, only the running workspace again.
    later(MINUTE_MS);
    expect(await loop.runOnce()).toEqual({ repaired: 0, rolledUp: 2 });
    expect((await totals()).storage).toBe(2 * FLEET * seconds + 60);
  });

  it("repairs what no state change stamped at the next full repair: when a leadership begins, and daily", async () => {
    // A state written without its stateChangedAt, and a workspace row deleted, in SQL.
    await setStateUnmetered("stopped2", "RUNNING");
    await getDb().workspace.delete({ where: { id: "stopped3" } });
    later(MINUTE_MS);
    expect(await loop.runOnce()).toMatchObject({ repaired: 0 });

    // Elected again: its first pass repairs everything.
    later(MINUTE_MS);
    loop.start();
    await loop.stop();
    expect((await openIntervals("stopped2")).map((interval) => interval.kind)).toEqual(["COMPUTE", "STORAGE"]);
    expect(await openIntervals("stopped3")).toEqual([]);

    await setStateUnmetered("stopped4", "RUNNING");
    later(MINUTE_MS);
    expect(await loop.runOnce()).toMatchObject({ repaired: 0 });
    later(24 * HOUR_MS);
    expect(await loop.runOnce()).toMatchObject({ repaired: 1 });
    expect((await openIntervals("stopped4")).map((interval) => interval.kind)).toEqual(["COMPUTE", "STORAGE"]);
  });
});
