import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb } from "@/lib/db/client";
import type { Prisma, User } from "@/lib/generated/prisma/client";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import type { DormancySettings } from "@/lib/workspaces/policies";
import { createPolicyLoop } from "@/lib/workspaces/policy-loop";
import { registerReconciler } from "@/lib/workspaces/reconcile-trigger";
import type { Reconciler } from "@/lib/workspaces/reconciler";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// The policy loop against PostgreSQL, on a fake clock: seeded workspaces in
// every state, and exactly the right ones stopped, marked or deleted.

usePostgresAppDatabase();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = new Date("2026-12-01T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const ahead = (ms: number) => new Date(NOW.getTime() + ms);
const clock = () => NOW;

const SPEC = {
  slug: "policy",
  name: "Policy",
  image: "podspace/test:1",
  resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  ide: { command: ["true"] },
  idleTimeoutMinutes: 60,
  maxLifetimeHours: 24,
};
const WITH_DELETION: DormancySettings = { dormantAfterDays: 30, deleteAfterDays: 14 };
const WITHOUT_DELETION: DormancySettings = { dormantAfterDays: 30, deleteAfterDays: null };

describe("the lifecycle policy loop", () => {
  let owner: User;
  let fixtures: { ownerId: string; templateVersionId: string; free: string; capped: string };
  const reconcile = vi.fn((workspaceId: string) => Promise.resolve(void workspaceId));

  beforeAll(async () => {
    owner = await createUser("owner@policy.test");
    const free = await createTeamWith("free", [[owner, "OWNER"]]);
    const capped = await createTeamWith("capped", [[owner, "OWNER"]]);
    // The team's owners allow 45 minutes, the platform's ceiling 30: 30 it is.
    await getDb().teamQuota.createMany({
      data: [
        { teamId: capped.id, scope: "LIMIT", maxIdleTimeoutMinutes: 45 },
        { teamId: capped.id, scope: "CEILING", maxIdleTimeoutMinutes: 30 },
      ],
    });
    const template = await getDb().template.create({
      data: { slug: "policy", name: "Policy", versions: { create: { version: 1, spec: SPEC } } },
      include: { versions: true },
    });
    fixtures = { ownerId: owner.id, templateVersionId: template.versions[0]!.id, free: free.id, capped: capped.id };
    registerReconciler({ reconcile } as unknown as Reconciler);
  });
  afterAll(() => registerReconciler(undefined));

  beforeEach(async () => {
    await getDb().workspace.deleteMany();
    await getDb().auditLog.deleteMany();
    reconcile.mockClear();
  });

  async function seed(name: string, data: Partial<Prisma.WorkspaceUncheckedCreateInput> & { team?: "free" | "capped" }) {
    const { team = "free", ...fields } = data;
    const workspace = await getDb().workspace.create({
      data: {
        name,
        ownerId: fixtures.ownerId,
        teamId: fixtures[team],
        templateVersionId: fixtures.templateVersionId,
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
        ...fields,
      },
    });
    return workspace.id;
  }
  const running = (name: string, startedAgo: number, activeAgo: number, team: "free" | "capped" = "free") =>
    seed(name, { team, state: "RUNNING", desiredState: "RUNNING", startedAt: ago(startedAgo), lastActivityAt: ago(activeAgo) });
  const stopped = (name: string, stoppedAgo: number, fields: Partial<Prisma.WorkspaceUncheckedCreateInput> = {}) =>
    seed(name, { state: "STOPPED", desiredState: "STOPPED", stoppedAt: ago(stoppedAgo), ...fields });

  const row = (id: string) => getDb().workspace.findUniqueOrThrow({ where: { id } });
  const policyEvents = (id: string) => getDb().workspaceEvent.findMany({ where: { workspaceId: id, step: "policy" }, orderBy: { createdAt: "asc" } });
  const audits = (id: string) => getDb().auditLog.findMany({ where: { targetId: id }, orderBy: { createdAt: "asc" } });

  it("stops idle and expired workspaces, marks, schedules and deletes dormant ones, and touches nothing else", async () => {
    const ids = {
      // Running, team without a cap (template: 60 min idle, 24 h lifetime).
      active: await running("active", 2 * HOUR, 10 * MINUTE),
      idle: await running("idle", 3 * HOUR, 61 * MINUTE),
      expired: await running("expired", 25 * HOUR, MINUTE),
      // Running, team capped at 30 minutes.
      cappedIdle: await running("capped-idle", 2 * HOUR, 31 * MINUTE, "capped"),
      cappedActive: await running("capped-active", 2 * HOUR, 20 * MINUTE, "capped"),
      // Not running, or already on their way down.
      starting: await seed("starting", { state: "STARTING", desiredState: "RUNNING" }),
      stopping: await seed("stopping", { state: "RUNNING", desiredState: "STOPPED", startedAt: ago(30 * HOUR), lastActivityAt: ago(30 * HOUR) }),
      // Stopped.
      longStopped: await stopped("long-stopped", 31 * DAY),
      recentlyStopped: await stopped("recently-stopped", 29 * DAY),
      startRequested: await stopped("start-requested", 40 * DAY, { desiredState: "RUNNING" }),
      failed: await seed("failed", { state: "FAILED", desiredState: "STOPPED", stoppedAt: ago(90 * DAY) }),
      // Dormant.
      deletionDue: await stopped("deletion-due", 45 * DAY, { dormantAt: ago(15 * DAY), deletionScheduledAt: ago(DAY) }),
      deletionAhead: await stopped("deletion-ahead", 35 * DAY, { dormantAt: ago(5 * DAY), deletionScheduledAt: ahead(9 * DAY) }),
      dormantUnscheduled: await stopped("dormant-unscheduled", 90 * DAY, { dormantAt: ago(60 * DAY) }),
      // Gone.
      deleted: await seed("deleted", { state: "DELETED", desiredState: "DELETED", stoppedAt: ago(90 * DAY), deletedAt: ago(80 * DAY) }),
    };

    const loop = createPolicyLoop({ now: clock, dormancy: WITH_DELETION });
    const changes = await loop.runOnce();

    const byId = Object.fromEntries(changes.map(({ workspaceId, ...decision }) => [workspaceId, decision]));
    expect(byId).toEqual({
      [ids.idle]: { action: "stop", reason: "idle", message: "Stopped after 60 min without activity" },
      [ids.expired]: { action: "stop", reason: "lifetime", message: "Stopped after reaching its 24 h maximum lifetime" },
      [ids.cappedIdle]: { action: "stop", reason: "idle", message: "Stopped after 30 min without activity" },
      [ids.longStopped]: {
        action: "mark-dormant",
        reason: "dormant",
        message: "Dormant after 31 days stopped. It will be deleted with its home volume on 2026-12-15 unless it is started.",
        deletionScheduledAt: ahead(14 * DAY),
      },
      [ids.deletionDue]: { action: "delete", reason: "dormant", message: "Deleted after 15 days dormant, as scheduled" },
      [ids.dormantUnscheduled]: {
        action: "schedule-deletion",
        reason: "dormant",
        message: "It will be deleted with its home volume on 2026-12-15 unless it is started.",
        deletionScheduledAt: ahead(14 * DAY),
      },
    });

    // The rows: desired states for the reconciler, dormancy for the pages.
    for (const id of [ids.idle, ids.expired, ids.cappedIdle]) expect(await row(id)).toMatchObject({ state: "RUNNING", desiredState: "STOPPED" });
    expect(await row(ids.longStopped)).toMatchObject({ desiredState: "STOPPED", dormantAt: NOW, deletionScheduledAt: ahead(14 * DAY) });
    expect(await row(ids.deletionDue)).toMatchObject({ state: "STOPPED", desiredState: "DELETED" });
    expect(await row(ids.dormantUnscheduled)).toMatchObject({ dormantAt: ago(60 * DAY), deletionScheduledAt: ahead(14 * DAY) });
    // Only stops and deletions need the reconciler.
    expect(reconcile.mock.calls.map(([id]) => id).sort()).toEqual([ids.idle, ids.expired, ids.cappedIdle, ids.deletionDue].sort());

    // One event and one system audit entry per change, nothing for the rest.
    const changed = new Set(Object.keys(byId));
    for (const id of Object.values(ids)) {
      const events = await policyEvents(id);
      const entries = await audits(id);
      if (!changed.has(id)) {
        expect({ id, events, entries }).toEqual({ id, events: [], entries: [] });
        continue;
      }
      expect(events).toEqual([expect.objectContaining({ message: byId[id]!.message, data: expect.objectContaining({ action: byId[id]!.action }) })]);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actorId: null, targetType: "workspace", after: expect.objectContaining({ reason: byId[id]!.reason }) });
    }
    expect((await audits(ids.idle))[0]).toMatchObject({
      action: "workspace.auto-stopped",
      teamId: fixtures.free,
      before: { state: "RUNNING", desiredState: "RUNNING", dormantAt: null, deletionScheduledAt: null },
      after: { state: "RUNNING", desiredState: "STOPPED", dormantAt: null, deletionScheduledAt: null, reason: "idle" },
    });
    expect((await audits(ids.longStopped))[0]).toMatchObject({ action: "workspace.marked-dormant" });
    expect((await audits(ids.dormantUnscheduled))[0]).toMatchObject({ action: "workspace.deletion-scheduled" });
    expect((await audits(ids.deletionDue))[0]).toMatchObject({ action: "workspace.auto-deleted" });
    expect((await policyEvents(ids.deletionDue))[0]).toMatchObject({ level: "WARNING" });
    expect((await policyEvents(ids.idle))[0]).toMatchObject({ level: "INFO" });

    // A second pass at the same moment finds nothing to do.
    reconcile.mockClear();
    expect(await loop.runOnce()).toEqual([]);
    expect(reconcile).not.toHaveBeenCalled();
    for (const id of changed) {
      expect(await policyEvents(id)).toHaveLength(1);
      expect(await audits(id)).toHaveLength(1);
    }
  });

  it("marks dormant without scheduling when deletion is off, and cancels schedules left from when it was on", async () => {
    const longStopped = await stopped("long-stopped", 31 * DAY);
    const scheduled = await stopped("scheduled", 45 * DAY, { dormantAt: ago(15 * DAY), deletionScheduledAt: ago(DAY) });

    const loop = createPolicyLoop({ now: clock, dormancy: WITHOUT_DELETION });
    expect(await loop.runOnce()).toEqual([
      expect.objectContaining({ workspaceId: longStopped, action: "mark-dormant", message: "Dormant after 31 days stopped.", deletionScheduledAt: null }),
      expect.objectContaining({ workspaceId: scheduled, action: "cancel-deletion" }),
    ]);
    expect(await row(longStopped)).toMatchObject({ dormantAt: NOW, deletionScheduledAt: null });
    expect(await row(scheduled)).toMatchObject({ desiredState: "STOPPED", dormantAt: ago(15 * DAY), deletionScheduledAt: null });
    expect((await audits(scheduled))[0]).toMatchObject({ action: "workspace.deletion-cancelled" });
    expect(await loop.runOnce()).toEqual([]);
  });

  it("follows the clock: a workspace stops only once its deadline passes, and activity pushes it back", async () => {
    const id = await running("ticking", 10 * MINUTE, 10 * MINUTE);
    let now = NOW;
    const loop = createPolicyLoop({ now: () => now, dormancy: WITH_DELETION });

    now = ahead(49 * MINUTE);
    expect(await loop.runOnce()).toEqual([]);
    // Terminal input at +40 min moves the deadline to +100 min.
    await getDb().workspace.update({ where: { id }, data: { lastActivityAt: ahead(40 * MINUTE) } });
    now = ahead(51 * MINUTE);
    expect(await loop.runOnce()).toEqual([]);
    now = ahead(100 * MINUTE);
    expect(await loop.runOnce()).toEqual([expect.objectContaining({ workspaceId: id, action: "stop", reason: "idle" })]);
  });

  it("starting a dormant workspace clears its dormancy and cancels its deletion", async () => {
    const id = await stopped("woken", 45 * DAY, { dormantAt: ago(15 * DAY), deletionScheduledAt: ago(DAY) });
    await operateWorkspace(await actorFor(owner), { workspaceId: id, operation: "start" });
    expect(await row(id)).toMatchObject({ desiredState: "RUNNING", dormantAt: null, deletionScheduledAt: null });

    expect(await createPolicyLoop({ now: clock, dormancy: WITH_DELETION }).runOnce()).toEqual([]);
    expect(await row(id)).toMatchObject({ desiredState: "RUNNING" });
  });

  it("decides again under the row lock: a Start or activity that lands while the pass waits wins", async () => {
    const dormant = await stopped("woken-late", 45 * DAY, { dormantAt: ago(15 * DAY), deletionScheduledAt: ago(DAY) });
    const idle = await running("active-late", 3 * HOUR, 2 * HOUR);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // A user's operation holds both rows: the pass has already picked them as candidates when it reaches them.
    const operation = getDb().$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM "Workspace" WHERE "id" IN (${dormant}, ${idle}) FOR UPDATE`;
        holding();
        await gate;
        await tx.workspace.update({ where: { id: dormant }, data: { desiredState: "RUNNING", dormantAt: null, deletionScheduledAt: null } });
        await tx.workspace.update({ where: { id: idle }, data: { lastActivityAt: NOW } });
      },
      { timeout: 15_000 },
    );
    await held;
    const pass = createPolicyLoop({ now: clock, dormancy: WITH_DELETION }).runOnce();
    const waiting = async () => (await getDb().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE "datname" = current_database() AND "wait_event_type" = 'Lock'`)[0]!.n;
    await expect.poll(waiting, { timeout: 5_000, interval: 20 }).toBeGreaterThan(0);
    release();
    await operation;

    expect(await pass).toEqual([]);
    expect(await row(dormant)).toMatchObject({ desiredState: "RUNNING", dormantAt: null });
    expect(await row(idle)).toMatchObject({ desiredState: "RUNNING" });
    expect(await policyEvents(dormant)).toEqual([]);
    expect(await audits(idle)).toEqual([]);
  });

  it("runs on a timer once started, and stops cleanly", async () => {
    const id = await running("timed", 3 * HOUR, 2 * HOUR);
    const loop = createPolicyLoop({ now: clock, dormancy: WITH_DELETION, intervalMs: 50 });
    loop.start();
    await expect.poll(async () => (await row(id)).desiredState, { timeout: 5_000, interval: 50 }).toBe("STOPPED");
    await loop.stop();
    expect(await policyEvents(id)).toHaveLength(1);
  });
});
