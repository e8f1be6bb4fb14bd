import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb } from "@/lib/db/client";
import type { WorkspaceState } from "@/lib/generated/prisma/enums";
import { meterWorkspace } from "@/lib/usage/meter";
import { rollUpUsage } from "@/lib/usage/rollup";
import { reconcileUsage } from "@/lib/usage/usage-loop";
import { transition } from "@/lib/workspaces/state-machine";
import { createTeamWith, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// Metering on a fake clock: lifecycles of start, stop, crash, retry, a
// Podspace restart and deletion, turned into exact hours per UTC day.

usePostgresAppDatabase();

const HOUR = 3600;
const at = (iso: string) => new Date(`${iso}Z`);

describe("usage metering", () => {
  let fixtures: { ownerId: string; teamId: string; templateVersionId: string };

  beforeAll(async () => {
    const owner = await createUser("owner@meter.test");
    const team = await createTeamWith("meter", [[owner, "OWNER"]]);
    const template = await getDb().template.create({
      data: { slug: "meter", name: "Meter", versions: { create: { version: 1, spec: {} } } },
      include: { versions: true },
    });
    fixtures = { ownerId: owner.id, teamId: team.id, templateVersionId: template.versions[0]!.id };
  });
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await getDb().usageDailyRollup.deleteMany();
    await getDb().usageInterval.deleteMany();
    await getDb().workspaceEvent.deleteMany();
    await getDb().workspace.deleteMany();
  });
  afterEach(() => void vi.useRealTimers());
  afterAll(() => void vi.useRealTimers());

  /** A workspace of 2 cores, 4 GiB and 10 GiB of disk, created (and its volume metered) at `time`. */
  async function create(name: string, time: string) {
    vi.setSystemTime(at(time));
    return getDb().$transaction(async (tx) => {
      const workspace = await tx.workspace.create({
        data: { name, ...fixtures, parameters: { cpu: 2, memoryGiB: 4, diskGiB: 10, values: {} } },
      });
      await meterWorkspace(tx, workspace.id, { now: new Date() });
      return workspace.id;
    });
  }

  /** Moves the workspace through `states` at `time`, as the reconciler does. */
  async function move(id: string, time: string, ...states: WorkspaceState[]) {
    vi.setSystemTime(at(time));
    for (const state of states) await getDb().$transaction((tx) => transition(tx, id, state, { message: state }));
  }

  const intervals = (id: string, kind: "COMPUTE" | "STORAGE") =>
    getDb().usageInterval.findMany({ where: { workspaceId: id, kind }, orderBy: { startedAt: "asc" } });

  async function rollups(id: string) {
    const rows = await getDb().usageDailyRollup.findMany({ where: { workspaceId: id }, orderBy: { day: "asc" } });
    return rows.map((row) => ({
      day: row.day.toISOString().slice(0, 10),
      workspaceHours: Number(row.workspaceSeconds) / HOUR,
      cpuCoreHours: Number(row.cpuMillicoreSeconds) / 1000 / HOUR,
      memoryGiBHours: Number(row.memoryMiBSeconds) / 1024 / HOUR,
      storageGiBHours: Number(row.storageGiBSeconds) / HOUR,
      sessions: row.computeSessions,
      sessionHours: Number(row.computeSessionSeconds) / HOUR,
    }));
  }

  it("turns start, stop, crash, retry, restart and delete into exact hours per day", async () => {
    const id = await create("life", "2026-03-01T10:00:00");
    await move(id, "2026-03-01T10:00:00", "STARTING");
    await move(id, "2026-03-01T10:02:00", "RUNNING");
    await move(id, "2026-03-01T12:00:00", "STOPPING");
    await move(id, "2026-03-01T12:00:00", "STOPPED");
    // Started again in the evening; the workspace crashes past midnight.
    await move(id, "2026-03-01T22:00:00", "STARTING", "RUNNING");
    await move(id, "2026-03-02T01:00:00", "FAILED");
    // A retry: back to PENDING (no compute), then started.
    await move(id, "2026-03-02T03:00:00", "PENDING");
    await move(id, "2026-03-02T04:00:00", "STARTING", "RUNNING");
    // Podspace restarts: the reconciler finds it RUNNING again, and the repair pass finds nothing to do.
    await move(id, "2026-03-02T05:00:00", "RUNNING");
    expect(await reconcileUsage(at("2026-03-02T05:00:00"))).toBe(0);
    await move(id, "2026-03-02T06:30:00", "STOPPING", "STOPPED");
    await move(id, "2026-03-02T10:00:00", "DELETING");
    await move(id, "2026-03-02T10:00:00", "DELETED");

    expect((await intervals(id, "COMPUTE")).map((i) => [i.startedAt.toISOString(), i.endedAt?.toISOString()])).toEqual([
      ["2026-03-01T10:00:00.000Z", "2026-03-01T12:00:00.000Z"],
      ["2026-03-01T22:00:00.000Z", "2026-03-02T01:00:00.000Z"],
      ["2026-03-02T04:00:00.000Z", "2026-03-02T06:30:00.000Z"],
    ]);
    expect((await intervals(id, "STORAGE")).map((i) => [i.startedAt.toISOString(), i.endedAt?.toISOString(), i.storageGiB])).toEqual([
      ["2026-03-01T10:00:00.000Z", "2026-03-02T10:00:00.000Z", 10],
    ]);

    await rollUpUsage(getDb(), at("2026-03-03T00:00:00"));
    expect(await rollups(id)).toEqual([
      // 2 h + 2 h before midnight; 2 cores, 4 GiB; the disk from 10:00 to midnight.
      { day: "2026-03-01", workspaceHours: 4, cpuCoreHours: 8, memoryGiBHours: 16, storageGiBHours: 140, sessions: 1, sessionHours: 2 },
      // 1 h + 2.5 h; two sessions ended: the 3 h one across midnight and the 2.5 h one.
      { day: "2026-03-02", workspaceHours: 3.5, cpuCoreHours: 7, memoryGiBHours: 14, storageGiBHours: 100, sessions: 2, sessionHours: 5.5 },
    ]);
  });

  it("counts a running workspace up to each pass, and the rest when it stops, once", async () => {
    const id = await create("running", "2026-03-05T08:00:00");
    await move(id, "2026-03-05T08:00:00", "STARTING", "RUNNING");
    await rollUpUsage(getDb(), at("2026-03-05T09:00:00"));
    expect((await rollups(id))[0]).toMatchObject({ workspaceHours: 1, sessions: 0 });
    // Passes repeated at the same time, or run late with an earlier clock, add nothing.
    await rollUpUsage(getDb(), at("2026-03-05T09:00:00"));
    await rollUpUsage(getDb(), at("2026-03-05T08:30:00"));
    expect((await rollups(id))[0]).toMatchObject({ workspaceHours: 1 });

    await move(id, "2026-03-05T11:00:00", "STOPPING", "STOPPED");
    await rollUpUsage(getDb(), at("2026-03-05T12:00:00"));
    await rollUpUsage(getDb(), at("2026-03-05T13:00:00"));
    expect((await rollups(id))[0]).toMatchObject({ workspaceHours: 3, cpuCoreHours: 6, sessions: 1, sessionHours: 3, storageGiBHours: 50 });
  });

  it("never ends an interval before what a rollup pass already counted", async () => {
    const id = await create("race", "2026-03-06T08:00:00");
    await move(id, "2026-03-06T08:00:00", "STARTING", "RUNNING");
    // A pass with a later clock than the stop's transaction (clocks of two replicas).
    await rollUpUsage(getDb(), at("2026-03-06T10:00:05"));
    await move(id, "2026-03-06T10:00:00", "STOPPING", "STOPPED");
    await rollUpUsage(getDb(), at("2026-03-06T11:00:00"));
    const [compute] = await intervals(id, "COMPUTE");
    expect(compute!.endedAt!.toISOString()).toBe("2026-03-06T10:00:05.000Z");
    expect((await rollups(id))[0]).toMatchObject({ workspaceHours: (2 * HOUR + 5) / HOUR, sessions: 1 });
  });

  it("keeps one open interval per kind, however often it is asked to open one", async () => {
    const id = await create("idempotent", "2026-03-07T08:00:00");
    await move(id, "2026-03-07T08:00:00", "STARTING", "RUNNING");
    await Promise.all(
      Array.from({ length: 5 }, () => getDb().$transaction((tx) => meterWorkspace(tx, id, { now: at("2026-03-07T09:00:00") }))),
    );
    expect(await getDb().usageInterval.count({ where: { workspaceId: id, endedAt: null } })).toBe(2);
    // The database itself refuses a second open interval.
    const [open] = await intervals(id, "COMPUTE");
    await expect(getDb().usageInterval.create({ data: { ...open!, id: "second-open" } })).rejects.toThrow(/Unique constraint/);
  });

  it("repairs metering from the workspaces' states: closes at the state change, opens what is missing", async () => {
    const id = await create("repair", "2026-03-08T08:00:00");
    await move(id, "2026-03-08T08:00:00", "STARTING", "RUNNING");
    // A state written without the meter (as before metering existed), stopped at 09:00.
    await getDb().workspace.update({ where: { id }, data: { state: "STOPPED", stateChangedAt: at("2026-03-08T09:00:00") } });
    // A running workspace with no intervals at all.
    const other = await getDb().workspace.create({
      data: { name: "unmetered", ...fixtures, state: "RUNNING", parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} } },
    });

    expect(await reconcileUsage(at("2026-03-08T12:00:00"))).toBe(2);
    expect((await intervals(id, "COMPUTE")).map((i) => i.endedAt?.toISOString())).toEqual(["2026-03-08T09:00:00.000Z"]);
    expect(await getDb().usageInterval.count({ where: { workspaceId: other.id, endedAt: null } })).toBe(2);
    // Repaired: a second pass finds nothing.
    expect(await reconcileUsage(at("2026-03-08T12:00:00"))).toBe(0);
  });
});
