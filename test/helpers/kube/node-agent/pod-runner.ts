// The kubelet's pod loop: watches the pods bound to this node and keeps one
// PodWorker per pod uid, and polls the memory of every limited container.
// Each pod's IP comes from the node's pod network (pod-network.ts).
import path from "node:path";
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { describeError } from "./api";
import type { EventRecorder } from "./events";
import { groupRss } from "./memory";
import type { OrphanGuard } from "./orphan-guard";
import type { PodNetwork } from "./pod-network";
import { PodWorker, type PodHandle } from "./pod-worker";
import { startWatchLoop } from "./watch-loop";

export interface PodRunner {
  /** The pod named so, when it runs on this node. */
  find(namespace: string, name: string): PodHandle | undefined;
  /** Stops every pod's processes (reporting nothing) and the watch. */
  stop(): Promise<void>;
}

// Frequent enough that a hog allocating in a tight loop is caught near its limit.
const MEMORY_POLL_MS = 500;

export function startPodRunner(options: {
  kubeConfig: KubeConfig;
  nodeName: string;
  /** Each pod gets a directory under this. */
  dir: string;
  events: EventRecorder;
  guard: OrphanGuard;
  network: PodNetwork;
  log(line: string): void;
}): PodRunner {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const workers = new Map<string, PodWorker>(); // by pod uid
  const byName = new Map<string, string>(); // namespace/name → uid
  const removals = new Set<Promise<void>>();

  function upsert(pod: V1Pod) {
    const uid = pod.metadata!.uid!;
    const existing = workers.get(uid);
    if (existing) return existing.update(pod);
    // A pod that already ended (before this agent started) has nothing left to run.
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;
    let worker: PodWorker;
    try {
      worker = new PodWorker(pod, {
        kubeConfig: options.kubeConfig,
        core,
        events: options.events,
        guard: options.guard,
        podDir: path.join(options.dir, `${pod.metadata!.namespace}_${pod.metadata!.name}_${uid}`),
        network: options.network,
        log: options.log,
      });
    } catch (error) {
      // Thrown from inside the watch, it would be lost (or stop the relist): log it instead.
      options.log(`pod ${pod.metadata!.namespace}/${pod.metadata!.name} can't run: ${describeError(error)}`);
      return;
    }
    workers.set(uid, worker);
    byName.set(`${pod.metadata!.namespace}/${pod.metadata!.name}`, uid);
  }

  function remove(pod: V1Pod) {
    const uid = pod.metadata!.uid!;
    const worker = workers.get(uid);
    if (!worker) return;
    workers.delete(uid);
    const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    if (byName.get(key) === uid) byName.delete(key);
    const removal = worker.remove().finally(() => removals.delete(removal));
    removals.add(removal);
  }

  const watch = startWatchLoop<V1Pod>({
    kubeConfig: options.kubeConfig,
    path: "/api/v1/pods",
    fieldSelector: `spec.nodeName=${options.nodeName}`,
    list: (fieldSelector) => core.listPodForAllNamespaces({ fieldSelector }),
    onUpsert: upsert,
    onDelete: remove,
    log: options.log,
  });

  const memoryPoll = setInterval(() => {
    const watched = new Map<number, PodWorker>();
    for (const worker of workers.values()) {
      const pgid = worker.memoryWatched();
      if (pgid !== undefined) watched.set(pgid, worker);
    }
    for (const [pgid, bytes] of groupRss(new Set(watched.keys()))) watched.get(pgid)!.checkMemory(bytes);
  }, MEMORY_POLL_MS);
  memoryPoll.unref();

  return {
    find(namespace, name) {
      const uid = byName.get(`${namespace}/${name}`);
      return uid === undefined ? undefined : workers.get(uid)?.handle();
    },
    async stop() {
      clearInterval(memoryPoll);
      await watch.stop();
      await Promise.all([...workers.values()].map((worker) => worker.remove()));
      workers.clear();
      await Promise.all(removals);
    },
  };
}
