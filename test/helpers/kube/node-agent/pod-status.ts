// A pod's status as a kubelet reports it (phase, conditions, containerStatuses,
// IPs), built from what the pod runner knows, and sent to the apiserver as a
// merge patch of pods/status: one request at a time per pod, the latest
// status winning, retried while the apiserver is away.
import crypto from "node:crypto";
import {
  CoreV1Api,
  type KubeConfig,
  type V1ContainerState,
  type V1Pod,
  type V1PodCondition,
  type V1PodStatus,
} from "@kubernetes/client-node";
import { describeError, isApiError, MERGE_PATCH, sleep } from "./api";

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

/** What the runner knows about a pod and its (single, first) container. */
export interface PodView {
  pod: V1Pod;
  phase: PodPhase;
  podIP?: string;
  startTime: Date;
  imagePulled: boolean;
  containerID?: string;
  state: V1ContainerState;
  lastState: V1ContainerState;
  restartCount: number;
  ready: boolean;
}

/** Every pod on the node shares the node's address. */
const HOST_IP = "127.0.0.1";

export function buildPodStatus(view: PodView, transitions: TransitionClock): V1PodStatus {
  const container = view.pod.spec!.containers[0]!;
  const unready = `containers with unready status: [${container.name}]`;
  const condition = (type: string, ok: boolean, reason?: string, message?: string): V1PodCondition => ({
    type,
    status: ok ? "True" : "False",
    lastTransitionTime: transitions.stamp(type, ok),
    ...(ok ? {} : { reason, message }),
  });
  const terminal = view.phase === "Succeeded" || view.phase === "Failed";
  return {
    phase: view.phase,
    conditions: [
      // The scheduler set PodScheduled; the patch replaces the whole list, so it is repeated.
      condition("Initialized", true),
      condition("Ready", view.ready, terminal ? "PodCompleted" : "ContainersNotReady", unready),
      condition("ContainersReady", view.ready, terminal ? "PodCompleted" : "ContainersNotReady", unready),
      condition("PodScheduled", true),
    ],
    hostIP: HOST_IP,
    podIP: view.podIP,
    podIPs: view.podIP ? [{ ip: view.podIP }] : undefined,
    startTime: view.startTime,
    containerStatuses: [
      {
        name: container.name,
        image: container.image ?? "",
        imageID: view.imagePulled ? imageID(container.image ?? "") : "",
        containerID: view.containerID,
        state: view.state,
        lastState: view.lastState,
        ready: view.ready,
        restartCount: view.restartCount,
        started: view.state.running !== undefined,
      },
    ],
  };
}

/** A stable fake digest: the same image always "resolves" to the same ID. */
function imageID(image: string): string {
  return `docker-pullable://${image}@sha256:${crypto.createHash("sha256").update(image).digest("hex")}`;
}

/** Keeps each condition's lastTransitionTime until its status changes. */
export class TransitionClock {
  private readonly times = new Map<string, { ok: boolean; at: Date }>();

  constructor(pod: V1Pod) {
    for (const c of pod.status?.conditions ?? []) {
      if (c.lastTransitionTime) this.times.set(c.type, { ok: c.status === "True", at: new Date(c.lastTransitionTime) });
    }
  }

  stamp(type: string, ok: boolean): Date {
    const known = this.times.get(type);
    if (known?.ok === ok) return known.at;
    const at = new Date();
    this.times.set(type, { ok, at });
    return at;
  }
}

/** Sends a pod's status; stops for good once the pod is gone (404). */
export class StatusWriter {
  private readonly core: CoreV1Api;
  private latest?: string;
  private sent?: string;
  private sending?: Promise<void>;
  private gone = false;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    private readonly log: (line: string) => void,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Queues `status`; resolves once it (or a later one) is stored, or the pod is gone. */
  publish(status: V1PodStatus): Promise<void> {
    this.latest = JSON.stringify(status);
    if (this.gone || this.latest === this.sent) return this.sending ?? Promise.resolve();
    this.sending ??= this.drain();
    return this.sending;
  }

  /** No more requests: the pod was deleted. */
  close(): void {
    this.gone = true;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.gone && this.latest !== this.sent) {
        const body = this.latest!;
        try {
          await this.core.patchNamespacedPodStatus(
            { namespace: this.namespace, name: this.name, body: { status: JSON.parse(body) } },
            MERGE_PATCH,
          );
          this.sent = body;
        } catch (error) {
          if (isApiError(error, 404)) this.gone = true;
          else {
            this.log(`status of ${this.namespace}/${this.name}: ${describeError(error)}`);
            await sleep(500);
          }
        }
      }
    } finally {
      // Cleared in the same turn as the loop's last check, so no publish() falls in between.
      this.sending = undefined;
    }
  }
}
