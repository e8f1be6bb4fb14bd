import type { CoreV1Event, V1ContainerStatus, V1PersistentVolumeClaim, V1Pod, V1PodCondition } from "@kubernetes/client-node";
import type { FailureReason, ObservedStatus, RuntimeStep } from "../types";
import { CONTAINER_NAME } from "./names";

// Pure: what a workspace's pod, home volume and the pod's events say about
// it, as Podspace's status and start progress. Objects may come from a list
// (timestamps are Dates) or a watch (timestamps are strings); both are read.

export interface WorkspaceObjects {
  pod?: V1Pod;
  claim?: V1PersistentVolumeClaim;
  /** Events whose involvedObject is `pod` (that uid), in any order. */
  events?: CoreV1Event[];
}

export interface Progress {
  step: RuntimeStep;
  message: string;
}

/** Waiting reasons of a container whose image can't be had; the kubelet retries, but people must fix the template. */
const IMAGE_ERRORS = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable"]);
/** Waiting reasons for a container the runtime refuses to create from this spec. */
const CONFIG_ERRORS = new Set(["CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);
/** Event reasons the kubelet uses for pulls; Failed and BackOff also mean other things, so the message must name an image. */
const IMAGE_EVENTS = new Set(["Pulling", "Pulled", "Failed", "BackOff", "ErrImageNeverPull", "InspectFailed"]);
const isImageEvent = (event: CoreV1Event) => IMAGE_EVENTS.has(event.reason ?? "") && /image/i.test(event.message ?? "");

export function observedStatus(objects: WorkspaceObjects): ObservedStatus {
  const { pod, claim } = objects;
  if (!pod) {
    if (!claim) return { state: "absent", message: "No home volume" };
    if (claim.metadata?.deletionTimestamp) return { state: "absent", message: "The home volume is being deleted" };
    return { state: "stopped", message: "Stopped" };
  }
  if (pod.metadata?.deletionTimestamp) return { state: "stopped", message: "Stopping" };
  const failure = podFailure(pod, claim);
  if (failure) return { state: "failed", ...failure };
  // Running as soon as the container is: the terminal (an exec) works from
  // then on, and nobody should wait on the IDE's readiness to type a command.
  if (workspaceContainer(pod)?.state?.running) {
    return { state: "running", message: isReady(pod) ? "Running" : "Running; the IDE is not ready" };
  }
  return { state: "starting", message: progressOf(objects).at(-1)?.message ?? "Starting" };
}

/** The steps of the start that `objects.pod` has reached, in order, each with its latest message. */
export function progressOf(objects: WorkspaceObjects): Progress[] {
  const { pod, claim } = objects;
  if (!pod) return [];
  const events = sortedEvents(objects.events ?? []);
  const steps: Progress[] = [];
  const add = (step: RuntimeStep, message: string | undefined) => {
    if (message) steps.push({ step, message });
  };

  if (claim) {
    const size = claim.status?.capacity?.storage ?? claim.spec?.resources?.requests?.storage;
    add("volume", claim.status?.phase === "Bound" ? `Home volume bound (${size})` : "Waiting for the home volume to be provisioned");
  }

  const scheduled = condition(pod, "PodScheduled");
  const failedScheduling = events.findLast((event) => event.reason === "FailedScheduling")?.message;
  if (scheduled?.status === "True") add("scheduling", `Scheduled on node ${pod.spec?.nodeName}`);
  else add("scheduling", `Waiting for a node: ${scheduled?.message ?? failedScheduling ?? "the scheduler has not placed it yet"}`);
  if (scheduled?.status !== "True") return steps;

  const container = workspaceContainer(pod);
  const started = Boolean(container?.state?.running || container?.state?.terminated || container?.lastState?.terminated);
  const waiting = container?.state?.waiting;
  if (waiting && IMAGE_ERRORS.has(waiting.reason ?? "")) add("image", waiting.message ?? waiting.reason);
  else add("image", events.findLast(isImageEvent)?.message ?? (started ? `Image ${container?.image} ready` : undefined));

  if (container?.state?.running) {
    add("shell", "Container running; the terminal is ready");
    // Reached, not current: the message stays the same once the IDE is ready, so the step is reported once.
    const probe = pod.spec?.containers.find((c) => c.name === CONTAINER_NAME)?.readinessProbe?.httpGet;
    add("ide", `Waiting for the IDE to answer ${probe?.path ?? "its health check"}`);
  }
  if (isReady(pod)) add("ready", "IDE ready");
  return steps;
}

function podFailure(pod: V1Pod, claim: V1PersistentVolumeClaim | undefined): { reason: FailureReason; message: string } | undefined {
  const phase = pod.status?.phase;
  if (phase === "Failed") {
    const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(": ");
    return { reason: "crashed", message: `The workspace's pod failed${why ? ` (${why})` : ""}` };
  }
  if (phase === "Succeeded") return { reason: "crashed", message: "The IDE exited" };

  const container = workspaceContainer(pod);
  const waiting = container?.state?.waiting;
  const lastExit = container?.state?.terminated ?? container?.lastState?.terminated;
  if (waiting && IMAGE_ERRORS.has(waiting.reason ?? "")) {
    return { reason: "image", message: `Could not pull image ${container?.image}: ${waiting.message ?? waiting.reason}` };
  }
  if (container?.state?.terminated?.reason === "OOMKilled" || (waiting?.reason === "CrashLoopBackOff" && lastExit?.reason === "OOMKilled")) {
    const limit = pod.spec?.containers.find((c) => c.name === CONTAINER_NAME)?.resources?.limits?.memory;
    return { reason: "oom", message: `The workspace ran out of memory${limit ? ` (its limit is ${limit})` : ""} and was stopped` };
  }
  if (waiting?.reason === "CrashLoopBackOff") {
    const restarts = container?.restartCount ?? 0;
    return {
      reason: "crashed",
      message: `The IDE keeps exiting (last exit code ${lastExit?.exitCode ?? "unknown"}, ${restarts} restart${restarts === 1 ? "" : "s"})`,
    };
  }
  if (waiting && CONFIG_ERRORS.has(waiting.reason ?? "")) {
    return { reason: "invalid", message: `Kubernetes could not create the workspace's container: ${waiting.message ?? waiting.reason}` };
  }
  const scheduled = condition(pod, "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable" && !waitsForVolume(scheduled, claim)) {
    return { reason: "scheduling", message: `No node can run the workspace: ${scheduled.message ?? "unschedulable"}` };
  }
  return undefined;
}

/** An unbound home is normal for the first moments of a start; it is the volume step, not a scheduling failure. */
function waitsForVolume(scheduled: V1PodCondition, claim: V1PersistentVolumeClaim | undefined): boolean {
  return (claim !== undefined && claim.status?.phase !== "Bound") || /unbound immediate PersistentVolumeClaims/.test(scheduled.message ?? "");
}

function workspaceContainer(pod: V1Pod): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((status) => status.name === CONTAINER_NAME);
}

/** The pod's Ready condition: its readiness probe, the IDE's health check, passes. */
function isReady(pod: V1Pod): boolean {
  return condition(pod, "Ready")?.status === "True";
}

function condition(pod: V1Pod, type: string): V1PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

function sortedEvents(events: CoreV1Event[]): CoreV1Event[] {
  const when = (event: CoreV1Event) => {
    const time = event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp;
    return time ? new Date(time).getTime() : 0;
  };
  return [...events].sort((a, b) => when(a) - when(b));
}
