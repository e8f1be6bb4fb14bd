import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { PROGRESS_STEPS, type ProgressStep } from "@/lib/runtime/types";
import type { IdeStatus } from "@/components/workspace/ide-frame";
import type { WorkspaceEventView, WorkspaceStateView } from "@/lib/workspaces/get-workspace";

// Turns a workspace's event log into the start's steps, each done, under
// way, failed or still to come. An attempt begins with the move to STARTING;
// the steps show the latest attempt. The workspace runs once its shell is up;
// the IDE's steps go on while it runs.

const STEP_LABELS: Record<ProgressStep, string> = {
  submitted: "Submitted",
  volume: "Home volume",
  scheduling: "Scheduling",
  image: "Image",
  shell: "Shell ready",
  ide: "IDE starting",
  ready: "IDE ready",
};

export const PROGRESS_STEP_LABELS = PROGRESS_STEPS.map((step) => ({ step, label: STEP_LABELS[step] }));

/**
 * The step whose events report phases of work still going on, rather than
 * work done: it is under way until the next step (ready) reports.
 */
const ONGOING_STEP: ProgressStep = "ide";
/** The last step a workspace must pass to be RUNNING; the ones after it happen while it runs. */
const RUNNING_AFTER: ProgressStep = "shell";

export type StepStatus = "done" | "active" | "failed" | "waiting";

export interface StepView {
  step: ProgressStep;
  label: string;
  status: StepStatus;
  /** The step's latest message. */
  message?: string;
  /** Time the step took (the sum when it reported more than once). */
  durationMs?: number;
}

/**
 * The events of the latest start attempt (after its move to STARTING), oldest
 * first. `events` are the newest ones, contiguous: when the move to STARTING
 * is no longer among them, every one of them came after it.
 */
export function latestAttempt(events: readonly WorkspaceEventView[]): WorkspaceEventView[] {
  const start = events.findLastIndex((event) => event.step === "state" && event.data?.to === "STARTING");
  return events.slice(start + 1);
}

/** Why the terminal can't connect (null: it can), in the words of what the workspace is doing. */
export function terminalUnavailable({ state, desiredState }: Pick<WorkspaceStateView, "state" | "desiredState">): string | null {
  if (state === "RUNNING" && desiredState !== "DELETED") return null;
  if (desiredState === "DELETED") return "Workspace is being deleted.";
  if (state === "FAILED") return "Workspace failed. Retry it to open a terminal.";
  if (desiredState === "RUNNING") return "Workspace is starting. The terminal opens when it runs.";
  if (state === "STOPPING") return "Workspace is stopping.";
  return "Workspace is not running. Start it to open a terminal.";
}

/**
 * The IDE panel's view: ready once the IDE reported so since the workspace
 * last started (a ready from an earlier run doesn't count); until then,
 * while the workspace runs, the IDE's latest phase and since when it is under way.
 */
export function ideStatus(workspace: Pick<WorkspaceStateView, "state" | "stateChangedAt">, events: readonly WorkspaceEventView[]): IdeStatus {
  if (workspace.state !== "RUNNING") return { kind: "offline" };
  const attempt = latestAttempt(events);
  if (attempt.some((event) => event.step === "ready")) return { kind: "ready" };
  const phase = attempt.findLast((event) => event.step === ONGOING_STEP && event.level !== "WARNING");
  return phase
    ? { kind: "starting", message: phase.message, since: phase.createdAt }
    : { kind: "starting", message: "Starting the IDE", since: workspace.stateChangedAt };
}

function reportedSteps(attempt: readonly WorkspaceEventView[]): StepView[] {
  return PROGRESS_STEP_LABELS.map(({ step, label }): StepView => {
    // A warning about a step (a failed startup script) is the event log's, not the step's.
    const reports = attempt.filter((event) => event.step === step && event.level !== "WARNING");
    if (reports.length === 0) return { step, label, status: "waiting" };
    const durations = reports.flatMap((event) => (event.durationMs === null ? [] : [event.durationMs]));
    return {
      step,
      label,
      status: "done",
      message: reports.at(-1)!.message,
      durationMs: durations.length > 0 ? durations.reduce((sum, ms) => sum + ms, 0) : undefined,
    };
  });
}

export function progressSteps(events: readonly WorkspaceEventView[], state: WorkspaceState, desiredState: DesiredState): StepView[] {
  const steps = reportedSteps(latestAttempt(events));
  let lastReported = steps.findLastIndex((step) => step.status === "done");
  // Running means the shell is up, whether or not the runtime reports that step.
  if (state === "RUNNING") lastReported = Math.max(lastReported, steps.findIndex((step) => step.step === RUNNING_AFTER));

  // The step under way: the one after the last reported, or the IDE's own while it reports phases.
  const underway = steps[lastReported]?.step === ONGOING_STEP ? lastReported : lastReported + 1;
  // Steps a runtime skipped on the way to a later one are done too.
  for (let index = 0; index < Math.min(underway, steps.length); index++) steps[index]!.status = "done";

  const current = steps[underway];
  if (!current) return steps;
  const starting = state === "STARTING" || state === "RUNNING" || (state === "PENDING" && desiredState === "RUNNING");
  if (starting) current.status = "active";
  else if (state === "FAILED") current.status = "failed";
  else if (current.status === "done") current.status = "waiting";
  return steps;
}

/** The latest ERROR event: what the failure was, in words. */
export function latestError(events: readonly WorkspaceEventView[]): WorkspaceEventView | undefined {
  return events.findLast((event) => event.level === "ERROR");
}

/**
 * A failure's message split for showing: its first line says what went wrong,
 * the lines after it (the tail of a tool's output, when there is one) go in a
 * block of their own.
 */
export function splitFailureMessage(message: string): { summary: string; output?: string } {
  const newline = message.indexOf("\n");
  if (newline === -1) return { summary: message.trim() };
  const output = message.slice(newline + 1).replace(/^\s*\n/, "").trimEnd();
  return { summary: message.slice(0, newline).trim(), ...(output ? { output } : {}) };
}
