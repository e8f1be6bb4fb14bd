import { plural } from "@/lib/format";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import type { TemplateSpec } from "@/lib/templates/spec";

// The workspace lifecycle policies, as pure functions of a workspace's facts
// and the time: idle auto-stop, maximum lifetime, stopping at the monthly
// CPU budget (when the team's quota says so; lib/quotas/budget.ts decides
// which teams), dormancy and the deletion of dormant workspaces.
// lib/workspaces/policy-loop.ts applies them; pages
// use idleCountdown. Nothing here reads the database, the environment or the
// clock, so the same code is safe in server components and tests run it with
// a fake `now`.

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** lib/templates/spec.ts's defaults, for a stored spec that lacks the fields. */
const DEFAULT_IDLE_TIMEOUT_MINUTES = 60;
const DEFAULT_MAX_LIFETIME_HOURS = 24;

/** What the policies look at on a workspace row. */
export interface WorkspaceFacts {
  state: WorkspaceState;
  desiredState: DesiredState;
  stateChangedAt: Date;
  lastActivityAt: Date | null;
  startedAt: Date | null;
  stoppedAt: Date | null;
  dormantAt: Date | null;
  deletionScheduledAt: Date | null;
}

/** The template version's lifecycle settings. */
export type TemplateLifecycle = Pick<TemplateSpec, "idleTimeoutMinutes" | "maxLifetimeHours">;

/** The deployment's dormancy settings (PODSPACE_DORMANT_AFTER_DAYS, PODSPACE_DORMANT_DELETE_AFTER_DAYS). */
export interface DormancySettings {
  dormantAfterDays: number;
  /** Null: dormant workspaces are never deleted. */
  deleteAfterDays: number | null;
}

export interface PolicyContext {
  template: TemplateLifecycle;
  /** The team's cap on idle timeouts in minutes; null when it has none. */
  teamMaxIdleTimeoutMinutes: number | null;
  dormancy: DormancySettings;
  /** The team has used its monthly CPU budget and its quota says to stop at the budget. */
  stopAtBudget?: boolean;
}

/** What to do to a workspace, and why; `message` is its workspace event, for its users. */
export type PolicyDecision =
  | { action: "stop"; reason: "idle" | "lifetime" | "budget"; message: string }
  | { action: "mark-dormant"; reason: "dormant"; message: string; deletionScheduledAt: Date | null }
  | { action: "schedule-deletion"; reason: "dormant"; message: string; deletionScheduledAt: Date }
  | { action: "cancel-deletion"; reason: "dormant"; message: string }
  | { action: "delete"; reason: "dormant"; message: string };

/**
 * The lifecycle settings of a stored TemplateVersion.spec. Tolerant: a
 * missing or malformed field falls back to the spec's default rather than
 * stopping the policy pass.
 */
export function templateLifecycle(spec: unknown): TemplateLifecycle {
  const record = spec !== null && typeof spec === "object" && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
  const positive = (value: unknown, fallback: number) => (typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback);
  return {
    idleTimeoutMinutes: positive(record.idleTimeoutMinutes, DEFAULT_IDLE_TIMEOUT_MINUTES),
    maxLifetimeHours: positive(record.maxLifetimeHours, DEFAULT_MAX_LIFETIME_HOURS),
  };
}

/**
 * A team's idle-timeout cap from its TeamQuota rows: the smaller of the
 * owners' LIMIT and the platform admins' CEILING, null when neither sets one.
 */
export function teamIdleCap(quotas: ReadonlyArray<{ maxIdleTimeoutMinutes: number | null }>): number | null {
  const caps = quotas.map((quota) => quota.maxIdleTimeoutMinutes).filter((cap): cap is number => cap !== null && cap > 0);
  return caps.length === 0 ? null : Math.min(...caps);
}

/** min(template default, team cap). */
export function effectiveIdleTimeoutMinutes(templateMinutes: number, teamMaxIdleTimeoutMinutes: number | null): number {
  return teamMaxIdleTimeoutMinutes === null ? templateMinutes : Math.min(templateMinutes, teamMaxIdleTimeoutMinutes);
}

type RunningFacts = Pick<WorkspaceFacts, "state" | "desiredState" | "stateChangedAt" | "lastActivityAt" | "startedAt">;

/** Only a workspace that runs and is meant to keep running has idle and lifetime deadlines. */
const runs = (workspace: Pick<WorkspaceFacts, "state" | "desiredState">) => workspace.state === "RUNNING" && workspace.desiredState === "RUNNING";

const later = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a > b ? a : b);

/** When the current run began (RUNNING always sets startedAt; stateChangedAt covers rows that lack it). */
const runStart = (workspace: RunningFacts) => workspace.startedAt ?? workspace.stateChangedAt;

/**
 * When a running workspace stops for want of activity: its last activity (or
 * its start, if later) plus min(template idle timeout, team cap). Null when it
 * isn't running.
 */
export function idleDeadline(
  workspace: RunningFacts,
  template: Pick<TemplateLifecycle, "idleTimeoutMinutes">,
  teamMaxIdleTimeoutMinutes: number | null,
): Date | null {
  if (!runs(workspace)) return null;
  const since = later(workspace.lastActivityAt, runStart(workspace))!;
  return new Date(since.getTime() + effectiveIdleTimeoutMinutes(template.idleTimeoutMinutes, teamMaxIdleTimeoutMinutes) * MINUTE_MS);
}

/** When a running workspace reaches its maximum lifetime, active or not. Null when it isn't running. */
export function lifetimeDeadline(workspace: RunningFacts, template: Pick<TemplateLifecycle, "maxLifetimeHours">): Date | null {
  if (!runs(workspace)) return null;
  return new Date(runStart(workspace).getTime() + template.maxLifetimeHours * HOUR_MS);
}

/**
 * For the workspace page's header, "stops in N min unless active": whole
 * minutes until the idle stop (0 once it is due), or null when the workspace
 * isn't running. Pass the template version's spec and the team's cap
 * (teamIdleCap of its quota rows).
 */
export function idleCountdown(
  workspace: RunningFacts,
  spec: Pick<TemplateLifecycle, "idleTimeoutMinutes">,
  teamMaxIdleTimeoutMinutes: number | null,
  now: Date,
): number | null {
  const deadline = idleDeadline(workspace, spec, teamMaxIdleTimeoutMinutes);
  if (deadline === null) return null;
  return Math.max(0, Math.ceil((deadline.getTime() - now.getTime()) / MINUTE_MS));
}

/** "45 min", "60 min", "3 h". */
function duration(minutes: number): string {
  return minutes >= 120 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

const day = (date: Date) => date.toISOString().slice(0, 10);
const daysBetween = (from: Date, to: Date) => Math.floor((to.getTime() - from.getTime()) / DAY_MS);
const deletionWarning = (at: Date) => `It will be deleted with its home volume on ${day(at)} unless it is started.`;

/**
 * What the lifecycle policies want done to a workspace at `now`, or null.
 * A running workspace stops at whichever of its idle and lifetime deadlines
 * comes first; one stopped for the dormancy period becomes dormant, with its
 * deletion scheduled when deletion is on; a dormant one is deleted once that
 * date passes. A workspace that is meant to run is never dormant or deleted.
 */
export function decideLifecycle(workspace: WorkspaceFacts, context: PolicyContext, now: Date): PolicyDecision | null {
  if (workspace.desiredState === "RUNNING") return decideRunning(workspace, context, now);
  if (workspace.desiredState === "STOPPED") return decideStopped(workspace, context.dormancy, now);
  return null;
}

function decideRunning(workspace: WorkspaceFacts, context: PolicyContext, now: Date): PolicyDecision | null {
  if (context.stopAtBudget && runs(workspace)) {
    return { action: "stop", reason: "budget", message: "Stopped: the team has used its monthly CPU budget" };
  }
  const idle = idleDeadline(workspace, context.template, context.teamMaxIdleTimeoutMinutes);
  const lifetime = lifetimeDeadline(workspace, context.template);
  if (idle === null || lifetime === null) return null;
  const idleDue = idle <= now;
  const lifetimeDue = lifetime <= now;
  // Both passed (a pass that came late): the one that passed first is why.
  if (lifetimeDue && (!idleDue || lifetime <= idle)) {
    return { action: "stop", reason: "lifetime", message: `Stopped after reaching its ${context.template.maxLifetimeHours} h maximum lifetime` };
  }
  if (idleDue) {
    const minutes = effectiveIdleTimeoutMinutes(context.template.idleTimeoutMinutes, context.teamMaxIdleTimeoutMinutes);
    return { action: "stop", reason: "idle", message: `Stopped after ${duration(minutes)} without activity` };
  }
  return null;
}

function decideStopped(workspace: WorkspaceFacts, dormancy: DormancySettings, now: Date): PolicyDecision | null {
  const { dormantAt, deletionScheduledAt } = workspace;
  const deleteAfterMs = dormancy.deleteAfterDays === null ? null : dormancy.deleteAfterDays * DAY_MS;

  if (dormantAt === null) {
    if (deletionScheduledAt !== null) {
      return { action: "cancel-deletion", reason: "dormant", message: "Its scheduled deletion is cancelled: it is no longer dormant." };
    }
    if (workspace.state !== "STOPPED" || workspace.stoppedAt === null) return null;
    if (workspace.stoppedAt.getTime() + dormancy.dormantAfterDays * DAY_MS > now.getTime()) return null;
    const scheduled = deleteAfterMs === null ? null : new Date(now.getTime() + deleteAfterMs);
    const stoppedFor = plural(daysBetween(workspace.stoppedAt, now), "day");
    return {
      action: "mark-dormant",
      reason: "dormant",
      message: `Dormant after ${stoppedFor} stopped.${scheduled ? ` ${deletionWarning(scheduled)}` : ""}`,
      deletionScheduledAt: scheduled,
    };
  }

  if (deleteAfterMs === null) {
    return deletionScheduledAt === null
      ? null
      : { action: "cancel-deletion", reason: "dormant", message: "Its scheduled deletion is cancelled: dormant workspaces are no longer deleted." };
  }
  if (deletionScheduledAt === null) {
    // Deletion was turned on after it became dormant: it still gets the whole warning period.
    const scheduled = new Date(now.getTime() + deleteAfterMs);
    return { action: "schedule-deletion", reason: "dormant", message: deletionWarning(scheduled), deletionScheduledAt: scheduled };
  }
  if (deletionScheduledAt > now) return null;
  return { action: "delete", reason: "dormant", message: `Deleted after ${plural(daysBetween(dormantAt, now), "day")} dormant, as scheduled` };
}
