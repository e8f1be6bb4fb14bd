import { describe, expect, it } from "vitest";
import {
  decideLifecycle,
  idleCountdown,
  idleDeadline,
  lifetimeDeadline,
  teamIdleCap,
  templateLifecycle,
  type PolicyContext,
  type WorkspaceFacts,
} from "@/lib/workspaces/policies";

// The lifecycle policies as pure functions, on a fake clock.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = new Date("2026-12-01T09:00:00.000Z");
const at = (offsetMs: number) => new Date(T0.getTime() + offsetMs);

const CONTEXT: PolicyContext = {
  template: { idleTimeoutMinutes: 60, maxLifetimeHours: 24 },
  teamMaxIdleTimeoutMinutes: null,
  dormancy: { dormantAfterDays: 30, deleteAfterDays: null },
};
const withDeletion: PolicyContext = { ...CONTEXT, dormancy: { dormantAfterDays: 30, deleteAfterDays: 14 } };

/** Started at T0 (RUNNING sets startedAt and lastActivityAt together). */
const running = (facts: Partial<WorkspaceFacts> = {}): WorkspaceFacts => ({
  state: "RUNNING",
  desiredState: "RUNNING",
  stateChangedAt: T0,
  startedAt: T0,
  lastActivityAt: T0,
  stoppedAt: null,
  dormantAt: null,
  deletionScheduledAt: null,
  ...facts,
});

/** Stopped at T0. */
const stopped = (facts: Partial<WorkspaceFacts> = {}): WorkspaceFacts =>
  running({ state: "STOPPED", desiredState: "STOPPED", stateChangedAt: T0, stoppedAt: T0, ...facts });

describe("idle auto-stop", () => {
  it("stops a running workspace once the template's idle timeout passes without activity", () => {
    const workspace = running();
    expect(idleDeadline(workspace, CONTEXT.template, null)).toEqual(at(60 * MINUTE));
    expect(decideLifecycle(workspace, CONTEXT, at(60 * MINUTE - 1))).toBeNull();
    expect(decideLifecycle(workspace, CONTEXT, at(60 * MINUTE))).toEqual({
      action: "stop",
      reason: "idle",
      message: "Stopped after 60 min without activity",
    });
  });

  it("uses the team's maximum when it is lower than the template's timeout", () => {
    const capped = { ...CONTEXT, teamMaxIdleTimeoutMinutes: 30 };
    expect(idleDeadline(running(), capped.template, 30)).toEqual(at(30 * MINUTE));
    expect(decideLifecycle(running(), capped, at(29 * MINUTE))).toBeNull();
    expect(decideLifecycle(running(), capped, at(30 * MINUTE))).toMatchObject({
      action: "stop",
      reason: "idle",
      message: "Stopped after 30 min without activity",
    });
  });

  it("keeps the template's timeout when the team's maximum is higher", () => {
    const generous = { ...CONTEXT, teamMaxIdleTimeoutMinutes: 240 };
    expect(decideLifecycle(running(), generous, at(59 * MINUTE))).toBeNull();
    expect(decideLifecycle(running(), generous, at(60 * MINUTE))).toMatchObject({ reason: "idle", message: "Stopped after 60 min without activity" });
  });

  it("counts from the last activity: activity pushes the deadline back", () => {
    const active = running({ lastActivityAt: at(50 * MINUTE) });
    expect(idleDeadline(active, CONTEXT.template, null)).toEqual(at(110 * MINUTE));
    expect(decideLifecycle(active, CONTEXT, at(100 * MINUTE))).toBeNull();
    expect(decideLifecycle(active, CONTEXT, at(110 * MINUTE))).toMatchObject({ action: "stop", reason: "idle" });
  });

  it("counts from the start when the last activity is older (activity from a previous run)", () => {
    const restarted = running({ startedAt: at(2 * HOUR), lastActivityAt: T0 });
    expect(idleDeadline(restarted, CONTEXT.template, null)).toEqual(at(3 * HOUR));
    expect(decideLifecycle(restarted, CONTEXT, at(2 * HOUR + 30 * MINUTE))).toBeNull();
  });

  it("says hours for long whole-hour timeouts", () => {
    const long = { ...CONTEXT, template: { idleTimeoutMinutes: 180, maxLifetimeHours: 24 } };
    expect(decideLifecycle(running(), long, at(3 * HOUR))).toMatchObject({ message: "Stopped after 3 h without activity" });
  });

  it("leaves alone a workspace that isn't running or is already being stopped", () => {
    const late = at(10 * DAY);
    expect(decideLifecycle(running({ state: "STARTING", startedAt: null, lastActivityAt: null }), CONTEXT, late)).toBeNull();
    expect(decideLifecycle(running({ desiredState: "STOPPED" }), CONTEXT, late)).toBeNull();
    expect(decideLifecycle(running({ desiredState: "DELETED" }), CONTEXT, late)).toBeNull();
    expect(decideLifecycle(running({ state: "FAILED" }), CONTEXT, late)).toBeNull();
  });
});

describe("maximum lifetime", () => {
  it("stops a workspace that has run for maxLifetimeHours, however active", () => {
    const busy = (now: Date) => running({ lastActivityAt: new Date(now.getTime() - MINUTE) });
    expect(lifetimeDeadline(running(), CONTEXT.template)).toEqual(at(24 * HOUR));
    expect(decideLifecycle(busy(at(24 * HOUR - 1)), CONTEXT, at(24 * HOUR - 1))).toBeNull();
    expect(decideLifecycle(busy(at(24 * HOUR)), CONTEXT, at(24 * HOUR))).toEqual({
      action: "stop",
      reason: "lifetime",
      message: "Stopped after reaching its 24 h maximum lifetime",
    });
  });

  it("counts from the latest start", () => {
    const restarted = running({ startedAt: at(20 * HOUR), lastActivityAt: at(43 * HOUR) });
    expect(decideLifecycle(restarted, CONTEXT, at(43 * HOUR + MINUTE))).toBeNull();
    expect(decideLifecycle(restarted, CONTEXT, at(44 * HOUR))).toMatchObject({ reason: "lifetime" });
  });

  it("names whichever deadline passed first when a late pass finds both passed", () => {
    // Idle since 23:30 (deadline 00:30 the next day), lifetime ends at 24:00.
    const both = running({ lastActivityAt: at(23 * HOUR + 30 * MINUTE) });
    expect(decideLifecycle(both, CONTEXT, at(26 * HOUR))).toMatchObject({ reason: "lifetime" });
    // Idle since 01:00, deadline 02:00, long before the lifetime ends.
    const idleFirst = running({ lastActivityAt: at(HOUR) });
    expect(decideLifecycle(idleFirst, CONTEXT, at(30 * HOUR))).toMatchObject({ reason: "idle" });
  });
});

describe("idleCountdown, for the workspace page", () => {
  it("is the whole minutes left until the idle stop, rounded up, and 0 once due", () => {
    const spec = { idleTimeoutMinutes: 60 };
    expect(idleCountdown(running(), spec, null, T0)).toBe(60);
    expect(idleCountdown(running(), spec, null, at(45 * MINUTE + 1))).toBe(15);
    expect(idleCountdown(running(), spec, 20, at(5 * MINUTE))).toBe(15);
    expect(idleCountdown(running(), spec, null, at(2 * HOUR))).toBe(0);
  });

  it("is null when the workspace isn't running", () => {
    expect(idleCountdown(stopped(), { idleTimeoutMinutes: 60 }, null, T0)).toBeNull();
    expect(idleCountdown(running({ state: "STARTING" }), { idleTimeoutMinutes: 60 }, null, T0)).toBeNull();
  });
});

describe("dormancy", () => {
  it("marks a workspace dormant once it has been stopped for the dormancy period", () => {
    expect(decideLifecycle(stopped(), CONTEXT, at(30 * DAY - 1))).toBeNull();
    expect(decideLifecycle(stopped(), CONTEXT, at(30 * DAY))).toEqual({
      action: "mark-dormant",
      reason: "dormant",
      message: "Dormant after 30 days stopped.",
      deletionScheduledAt: null,
    });
  });

  it("doesn't mark a workspace that is meant to run, or that isn't stopped", () => {
    const late = at(100 * DAY);
    expect(decideLifecycle(stopped({ desiredState: "RUNNING" }), CONTEXT, late)).toBeNull();
    expect(decideLifecycle(stopped({ state: "FAILED" }), CONTEXT, late)).toBeNull();
    expect(decideLifecycle(stopped({ desiredState: "DELETED" }), CONTEXT, late)).toBeNull();
  });

  it("leaves a dormant workspace alone when deletion is off", () => {
    expect(decideLifecycle(stopped({ dormantAt: at(30 * DAY) }), CONTEXT, at(400 * DAY))).toBeNull();
  });

  it("schedules the deletion with the mark, a warning period ahead, when deletion is on", () => {
    expect(decideLifecycle(stopped(), withDeletion, at(30 * DAY))).toEqual({
      action: "mark-dormant",
      reason: "dormant",
      message: "Dormant after 30 days stopped. It will be deleted with its home volume on 2027-01-14 unless it is started.",
      deletionScheduledAt: at(44 * DAY),
    });
  });

  it("deletes a dormant workspace once its scheduled deletion passes, not before", () => {
    const dormant = stopped({ dormantAt: at(30 * DAY), deletionScheduledAt: at(44 * DAY) });
    expect(decideLifecycle(dormant, withDeletion, at(44 * DAY - 1))).toBeNull();
    expect(decideLifecycle(dormant, withDeletion, at(44 * DAY))).toEqual({
      action: "delete",
      reason: "dormant",
      message: "Deleted after 14 days dormant, as scheduled",
    });
  });

  it("gives workspaces already dormant when deletion is turned on the whole warning period", () => {
    const dormant = stopped({ dormantAt: at(30 * DAY) });
    expect(decideLifecycle(dormant, withDeletion, at(300 * DAY))).toMatchObject({
      action: "schedule-deletion",
      deletionScheduledAt: at(314 * DAY),
    });
  });

  it("cancels scheduled deletions when deletion is turned off", () => {
    const dormant = stopped({ dormantAt: at(30 * DAY), deletionScheduledAt: at(44 * DAY) });
    expect(decideLifecycle(dormant, CONTEXT, at(50 * DAY))).toMatchObject({ action: "cancel-deletion" });
  });

  it("never deletes a workspace once it is started, and restarts the dormancy clock at its next stop", () => {
    // Started on day 40: operateWorkspace clears both dormancy fields and wants it running.
    const started = stopped({ desiredState: "RUNNING", dormantAt: null, deletionScheduledAt: null });
    expect(decideLifecycle(started, withDeletion, at(60 * DAY))).toBeNull();
    // Even stale dormancy fields don't delete a workspace that is meant to run.
    const stale = stopped({ desiredState: "RUNNING", dormantAt: at(30 * DAY), deletionScheduledAt: at(44 * DAY) });
    expect(decideLifecycle(stale, withDeletion, at(60 * DAY))).toBeNull();
    // Stopped again on day 41: dormant 30 days after that, not at once.
    const stoppedAgain = stopped({ stoppedAt: at(41 * DAY), stateChangedAt: at(41 * DAY) });
    expect(decideLifecycle(stoppedAgain, withDeletion, at(42 * DAY))).toBeNull();
    expect(decideLifecycle(stoppedAgain, withDeletion, at(71 * DAY))).toMatchObject({ action: "mark-dormant" });
  });
});

describe("settings", () => {
  it("reads a stored spec's lifecycle fields, falling back to the spec defaults", () => {
    expect(templateLifecycle({ idleTimeoutMinutes: 15, maxLifetimeHours: 8, image: "x" })).toEqual({ idleTimeoutMinutes: 15, maxLifetimeHours: 8 });
    expect(templateLifecycle({})).toEqual({ idleTimeoutMinutes: 60, maxLifetimeHours: 24 });
    expect(templateLifecycle(null)).toEqual({ idleTimeoutMinutes: 60, maxLifetimeHours: 24 });
  });

  it("caps a team's idle timeout by the smaller of its limit and the platform's ceiling", () => {
    expect(teamIdleCap([])).toBeNull();
    expect(teamIdleCap([{ maxIdleTimeoutMinutes: null }])).toBeNull();
    expect(teamIdleCap([{ maxIdleTimeoutMinutes: 90 }, { maxIdleTimeoutMinutes: null }])).toBe(90);
    expect(teamIdleCap([{ maxIdleTimeoutMinutes: 90 }, { maxIdleTimeoutMinutes: 45 }])).toBe(45);
  });
});
