// core/v1 Events about pods, posted the way the kubelet posts them (source
// "kubelet", involvedObject the pod, fieldPath the container). A repeat of
// the same reason and message bumps the existing event's count instead of
// adding one, as client-go's event correlator does, so a pod stuck in
// ImagePullBackOff doesn't flood its namespace.
import crypto from "node:crypto";
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { describeError, MERGE_PATCH } from "./api";

export type EventType = "Normal" | "Warning";

export class EventRecorder {
  private readonly core: CoreV1Api;
  // Per pod, container, type, reason and message: the event's name, its
  // count, and the chain of requests about it (a patch must follow the create).
  private readonly seen = new Map<string, { name: string; count: number; requests: Promise<void> }>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly nodeName: string,
    private readonly log: (line: string) => void,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Fire and forget: a lost event must not stop a pod. */
  record(pod: V1Pod, type: EventType, reason: string, message: string, container?: string): void {
    const namespace = pod.metadata!.namespace!;
    const key = `${pod.metadata?.uid}\n${container}\n${type}\n${reason}\n${message}`;
    const now = new Date();
    const report = (error: unknown) => this.log(`event ${reason} for ${pod.metadata?.name}: ${describeError(error)}`);
    const previous = this.seen.get(key);
    if (previous) {
      const count = ++previous.count;
      const body = { count, lastTimestamp: now };
      previous.requests = previous.requests
        .then(() => this.core.patchNamespacedEvent({ namespace, name: previous.name, body }, MERGE_PATCH))
        .then(() => {}, report);
      return;
    }
    const name = `${pod.metadata!.name}.${crypto.randomBytes(8).toString("hex")}`;
    const created = this.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name, namespace },
        involvedObject: {
          kind: "Pod",
          apiVersion: "v1",
          namespace,
          name: pod.metadata?.name,
          uid: pod.metadata?.uid,
          resourceVersion: pod.metadata?.resourceVersion,
          fieldPath: container ? `spec.containers{${container}}` : undefined,
        },
        type,
        reason,
        message,
        source: { component: "kubelet", host: this.nodeName },
        reportingComponent: "kubelet",
        reportingInstance: this.nodeName,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
    this.seen.set(key, { name, count: 1, requests: created.then(() => {}, report) });
  }

  /** Drops the counters kept for a pod that is gone. */
  forget(podUid: string): void {
    for (const key of this.seen.keys()) if (key.startsWith(`${podUid}\n`)) this.seen.delete(key);
  }
}
