import {
  CoreV1Api,
  type CoreV1Event,
  type KubeConfig,
  type KubernetesObject,
  type V1PersistentVolumeClaim,
  type V1Pod,
} from "@kubernetes/client-node";
import { logger } from "@/lib/observability/logger";
import { RUNTIME_STEPS, type ObservedStatus, type RuntimeStep, type RuntimeEvent } from "../types";
import { startListWatch, type ListWatchHandle, type WatchEventType } from "./list-watch";
import { startupScriptWarning } from "../startup-command";
import { CONTAINER_NAME, MANAGED_SELECTOR, WORKSPACE_LABEL, isTeamNamespace, podName } from "./names";
import { observedStatus, progressOf, type Progress } from "./pod-status";

// Turns the cluster's view of every workspace (its pod, home volume and the
// pod's events, in every team namespace) into RuntimeEvents. It keeps what it
// last reported per workspace, so a re-list after a dropped watch reports
// only what changed, and a pod that vanished meanwhile is still noticed.

export interface WorkspaceWatchOptions {
  kubeConfig: KubeConfig;
  namespacePrefix: string;
  selfNamespace: string;
  /** Whether Podspace deleted the pod with this uid (stop, destroy, replace); consumes the record. */
  deletionExpected(uid: string): boolean;
  emit(event: RuntimeEvent): void;
}

interface Reported {
  status?: ObservedStatus;
  /** The pod the steps belong to: a start makes a new pod, whose progress starts afresh. */
  podUid?: string;
  /** Each step reported for that pod, with its message: a re-list or an update that changes no step reports nothing again. */
  steps: Map<RuntimeStep, string>;
  /**
   * The steps up to the furthest the pod had reached when this watch first
   * saw it running: its start began before the watch, so they are history,
   * not news, even when a later list (of its volume or events) adds to them.
   */
  history: Set<RuntimeStep>;
  /** The pod vanished without Podspace deleting it; that failure stands until a new pod appears. */
  deletedOutOfBand: boolean;
}

/** Events kept per pod: enough for the latest scheduling and image messages. */
const EVENTS_PER_POD = 20;

export class WorkspaceWatch {
  private readonly pods = new Map<string, V1Pod>();
  private readonly claims = new Map<string, V1PersistentVolumeClaim>();
  /** Events by the uid of the pod they are about. */
  private readonly events = new Map<string, CoreV1Event[]>();
  private readonly reported = new Map<string, Reported>();
  /** Per workspace, the checks of callers waiting for its pod or claim to change (`until`). */
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly handles: ListWatchHandle[];
  private readonly core: CoreV1Api;

  constructor(private readonly options: WorkspaceWatchOptions) {
    const core = (this.core = options.kubeConfig.makeApiClient(CoreV1Api));
    const common = { kubeConfig: options.kubeConfig, onError: (error: unknown) => logRetry(error) };
    this.handles = [
      startListWatch<V1Pod>({
        ...common,
        path: "/api/v1/pods",
        labelSelector: MANAGED_SELECTOR,
        list: () => core.listPodForAllNamespaces({ labelSelector: MANAGED_SELECTOR }),
        onList: (items) => this.replaceAll(this.pods, items, (pod) => this.podGone(pod)),
        onEvent: (type, pod) => this.update(this.pods, type, pod, (gone) => this.podGone(gone)),
      }),
      startListWatch<V1PersistentVolumeClaim>({
        ...common,
        path: "/api/v1/persistentvolumeclaims",
        labelSelector: MANAGED_SELECTOR,
        list: () => core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: MANAGED_SELECTOR }),
        onList: (items) => this.replaceAll(this.claims, items, (claim) => this.refresh(workspaceIdOf(claim)!)),
        onEvent: (type, claim) => this.update(this.claims, type, claim, (gone) => this.refresh(workspaceIdOf(gone)!)),
      }),
      // Events carry no labels: watch those about pods and keep the ones about workspace pods.
      startListWatch<CoreV1Event>({
        ...common,
        path: "/api/v1/events",
        fieldSelector: "involvedObject.kind=Pod",
        list: () => core.listEventForAllNamespaces({ fieldSelector: "involvedObject.kind=Pod" }),
        onList: (items) => {
          this.events.clear();
          for (const event of items) this.addEvent(event);
          for (const id of this.pods.keys()) this.refresh(id);
        },
        onEvent: (type, event) => {
          if (type === "DELETED") return; // events expire; what they said still holds
          const podUid = this.addEvent(event);
          const id = podUid && workspaceIdOf(event);
          if (id && this.pods.get(id)?.metadata?.uid === podUid) this.refresh(id);
        },
      }),
    ];
  }

  stop(): void {
    for (const handle of this.handles) handle.stop();
  }

  /** The workspace's pod as last seen, if the watch has seen it. */
  podOf(workspaceId: string): V1Pod | undefined {
    return this.pods.get(workspaceId);
  }

  /** The workspace's home volume as last seen, if the watch has seen it. */
  claimOf(workspaceId: string): V1PersistentVolumeClaim | undefined {
    return this.claims.get(workspaceId);
  }

  /** Resolves true once the watch sees the workspace's home volume bound, or false after `timeoutMs`. */
  untilClaimBound(workspaceId: string, timeoutMs: number): Promise<boolean> {
    return this.until(workspaceId, () => this.claims.get(workspaceId)?.status?.phase === "Bound", timeoutMs);
  }

  /** Resolves true once the watch no longer holds the workspace's pod of that uid (deleted, or replaced), or false after `timeoutMs`. */
  untilPodGone(workspaceId: string, uid: string | undefined, timeoutMs: number): Promise<boolean> {
    return this.until(workspaceId, () => this.pods.get(workspaceId)?.metadata?.uid !== uid, timeoutMs);
  }

  /** Resolves true as soon as `done()` holds, checked now and whenever the workspace's pod or claim changes; false after `timeoutMs`. */
  private until(workspaceId: string, done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    const waiters = this.waiters.get(workspaceId) ?? new Set();
    this.waiters.set(workspaceId, waiters);
    return new Promise((resolve) => {
      const settle = (result: boolean) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (waiters.size === 0) this.waiters.delete(workspaceId);
        resolve(result);
      };
      const check = () => done() && settle(true);
      const timer = setTimeout(() => settle(false), timeoutMs);
      waiters.add(check);
    });
  }

  /** Tells the workspace's waiters (`until`) that its pod or claim changed. */
  private changed(workspaceId: string): void {
    for (const check of this.waiters.get(workspaceId) ?? []) check();
  }

  /** The current status of every workspace seen so far, for listeners that join later. */
  snapshot(): RuntimeEvent[] {
    return [...this.reported].flatMap(([workspaceId, { status }]) => (status ? [{ type: "status" as const, workspaceId, status }] : []));
  }

  private isWorkspaceNamespace(namespace: string | undefined): boolean {
    return isTeamNamespace(namespace, this.options);
  }

  private replaceAll<T extends KubernetesObject>(known: Map<string, T>, items: T[], gone: (object: T) => void): void {
    const current = new Map<string, T>();
    for (const item of items) {
      const id = workspaceIdOf(item);
      if (id && this.isWorkspaceNamespace(item.metadata?.namespace)) current.set(id, item);
    }
    const vanished = [...known].filter(([id, object]) => current.get(id)?.metadata?.uid !== object.metadata?.uid);
    known.clear();
    for (const [id, item] of current) known.set(id, item);
    for (const [, object] of vanished) gone(object);
    for (const id of current.keys()) this.refresh(id);
    for (const [id] of vanished) this.changed(id);
  }

  private update<T extends KubernetesObject>(known: Map<string, T>, type: WatchEventType, object: T, gone: (object: T) => void): void {
    const id = workspaceIdOf(object);
    if (!id || !this.isWorkspaceNamespace(object.metadata?.namespace)) return;
    if (type === "DELETED") {
      if (known.get(id)?.metadata?.uid !== object.metadata?.uid) return;
      known.delete(id);
      gone(object);
      this.changed(id);
    } else {
      known.set(id, object);
      this.refresh(id);
    }
  }

  private podGone(pod: V1Pod): void {
    const id = workspaceIdOf(pod)!;
    const uid = pod.metadata?.uid ?? "";
    this.events.delete(uid);
    if (this.options.deletionExpected(uid)) {
      this.refresh(id);
      return;
    }
    const reported = this.reportedFor(id);
    reported.deletedOutOfBand = true;
    this.report(id, reported, {
      state: "failed",
      reason: "deleted",
      message: "The workspace's pod was deleted outside Podspace (by a cluster administrator or the cluster itself); start it again",
    });
  }

  /** Files an event under its pod's uid; returns that uid when it is about a workspace pod. */
  private addEvent(event: CoreV1Event): string | undefined {
    const { uid, namespace } = event.involvedObject;
    if (!uid || !workspaceIdOf(event) || !this.isWorkspaceNamespace(namespace)) return undefined;
    const list = this.events.get(uid) ?? [];
    // The same Event object is updated in place (count, lastTimestamp) as it repeats.
    const at = list.findIndex((known) => known.metadata?.uid === event.metadata?.uid);
    if (at >= 0) list.splice(at, 1);
    list.push(event);
    this.events.set(uid, list.slice(-EVENTS_PER_POD));
    return uid;
  }

  private refresh(id: string): void {
    const pod = this.pods.get(id);
    const claim = this.claims.get(id);
    this.changed(id);
    const reported = this.reportedFor(id);
    if (!pod && reported.deletedOutOfBand && claim) return;
    const objects = { pod, claim, events: pod ? this.events.get(pod.metadata?.uid ?? "") : undefined };
    const status = observedStatus(objects);
    if (pod) {
      reported.deletedOutOfBand = false;
      this.reportProgress(id, reported, pod, progressOf(objects), status);
    }
    this.report(id, reported, status);
    if (!pod && !claim) this.reported.delete(id);
  }

  /** Emits the steps of `pod`'s start that are news: each once per pod, again only when its message changes. */
  private reportProgress(id: string, reported: Reported, pod: V1Pod, progress: Progress[], status: ObservedStatus): void {
    if (reported.podUid !== pod.metadata?.uid) {
      // The steps still to come of a pod that started before the watch (the IDE getting ready) are news all the same.
      const startedBeforeWatch = reported.podUid === undefined && status.state === "running";
      const reached = startedBeforeWatch ? RUNTIME_STEPS.indexOf(progress.at(-1)!.step) : -1;
      reported.history = new Set(RUNTIME_STEPS.slice(0, reached + 1));
      reported.podUid = pod.metadata?.uid;
      reported.steps.clear();
    }
    for (const { step, message } of progress) {
      if (reported.steps.get(step) === message) continue;
      reported.steps.set(step, message);
      if (reported.history.has(step)) continue;
      this.options.emit({ type: "progress", workspaceId: id, step, message });
      if (step === "ready") void this.warnOfFailedStartupScript(id, pod);
    }
  }

  /** Reads the log of a pod whose IDE is ready: its startup script ran before the IDE, and a failure of it is there. */
  private async warnOfFailedStartupScript(id: string, pod: V1Pod): Promise<void> {
    const { name, namespace } = pod.metadata ?? {};
    if (!name || !namespace) return;
    const log = await this.core.readNamespacedPodLog({ name, namespace, container: CONTAINER_NAME, tailLines: 200 }).catch((error: unknown) => {
      logger.warn({ err: error, workspaceId: id }, "reading a workspace pod's log for its startup script's outcome failed");
      return "";
    });
    const warning = startupScriptWarning(log);
    if (warning) this.options.emit({ type: "progress", workspaceId: id, step: "ide", message: warning, warning: true });
  }

  private reportedFor(id: string): Reported {
    let reported = this.reported.get(id);
    if (!reported) {
      reported = { steps: new Map(), history: new Set(), deletedOutOfBand: false };
      this.reported.set(id, reported);
    }
    return reported;
  }

  private report(id: string, reported: Reported, status: ObservedStatus): void {
    const last = reported.status;
    if (last && last.state === status.state && last.message === status.message && last.reason === status.reason) return;
    reported.status = status;
    this.options.emit({ type: "status", workspaceId: id, status });
  }
}

/** The workspace a pod, claim or pod event belongs to. */
function workspaceIdOf(object: KubernetesObject | CoreV1Event): string | undefined {
  if ("involvedObject" in object) {
    const name = object.involvedObject.name ?? "";
    const id = name.slice(podName("").length);
    return name === podName(id) && id ? id : undefined;
  }
  return object.metadata?.labels?.[WORKSPACE_LABEL];
}

function logRetry(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.warn(`podspace: the Kubernetes watch of workspaces failed (${message}); listing and watching again`);
}
