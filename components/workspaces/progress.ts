import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import type { WorkspaceEventView } from "@/lib/workspaces/get-workspace";

// Turns a workspace's event log into the start's steps, each done, under
// way, failed or still to come. An attempt begins with the move to STARTING;
// the steps show the latest attempt.

export const PROGRESS_STEPS = [
  { step: "volume", label: "Home volume" },
  { step: "scheduling", label: "Scheduling" },
  { step: "image", label: "Image" },
  { step: "ide", label: "IDE starting" },
  { step: "ready", label: "Ready" },
] as const;

export type StepStatus = "done" | "active" | "failed" | "waiting";

export interface StepView {
  step: string;
  label: string;
  status: StepStatus;
  /** The step's latest message. */
  message?: string;
  /** Time the step took (the sum when it reported more than once). */
  durationMs?: number;
}

/** The events of the latest start attempt (after its move to STARTING), oldest first. */
export function latestAttempt(events: readonly WorkspaceEventView[]): WorkspaceEventView[] {
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index]!;
    if (event.step === "state" && event.data?.to === "STARTING") return events.slice(index + 1);
  }
  return [];
}

export function progressSteps(events: readonly WorkspaceEventView[], state: WorkspaceState, desiredState: DesiredState): StepView[] {
  const attempt = latestAttempt(events);
  const steps: StepView[] = PROGRESS_STEPS.map(({ step, label }) => {
    const reports = attempt.filter((event) => event.step === step);
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

  if (state === "RUNNING") return steps.map((step) => ({ ...step, status: "done" }));
  const lastDone = steps.findLastIndex((step) => step.status === "done");
  // Steps a runtime skipped on the way to a later one are done too.
  for (let index = 0; index < lastDone; index++) steps[index]!.status = "done";
  const next = steps[lastDone + 1];
  const starting = state === "STARTING" || (state === "PENDING" && desiredState === "RUNNING");
  if (next && starting) next.status = "active";
  if (next && state === "FAILED") next.status = "failed";
  return steps;
}

/** The message of the latest ERROR event: what the failure was, in words. */
export function latestError(events: readonly WorkspaceEventView[]): WorkspaceEventView | undefined {
  return events.findLast((event) => event.level === "ERROR");
}
