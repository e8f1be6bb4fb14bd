// List, then watch from the list's resourceVersion, for as long as the agent
// runs, the way a kubelet's informers do:
// - a watch the server ends (timeoutSeconds, an apiserver restart) is resumed
//   from the last resourceVersion seen;
// - 410 Gone (that resourceVersion was compacted away) means list again;
// - every relist is diffed against what was seen before, so an object deleted
//   while no watch was open still reaches onDelete.
// Handlers must be idempotent: after a relist they see every object again.
import { Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { describeError, sleep } from "./api";

export interface WatchLoopOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** The collection to watch, e.g. /api/v1/pods. */
  path: string;
  fieldSelector?: string;
  /** Lists the same collection with the same field selector. */
  list(fieldSelector: string | undefined): Promise<KubernetesListObject<T>>;
  /**
   * For kinds whose client model renames fields (NetworkPolicy's `from` is
   * `_from`): watch events carry the API's JSON as sent, while list()
   * returns model objects, so each watched object is decoded with this.
   */
  decode?(object: T): T;
  onUpsert(object: T): void;
  onDelete(object: T): void;
  log(line: string): void;
}

export interface WatchLoop {
  /** Ends the watch; no handler runs once this resolves. */
  stop(): Promise<void>;
}

// Shorter than client-node's 30 s inactivity timeout, so a quiet collection
// ends its watch cleanly (and is resumed) instead of being aborted as stuck.
const WATCH_TIMEOUT_SECONDS = 20;

interface WatchStatus {
  code?: number;
}

export function startWatchLoop<T extends KubernetesObject>(options: WatchLoopOptions<T>): WatchLoop {
  const known = new Map<string, T>();
  const stopping = new AbortController();
  let resourceVersion: string | undefined;
  let watch: AbortController | undefined;

  const keyOf = (object: T) => object.metadata?.uid ?? `${object.metadata?.namespace}/${object.metadata?.name}`;

  async function relist(): Promise<void> {
    const list = await options.list(options.fieldSelector);
    if (stopping.signal.aborted) return;
    const seen = new Set<string>();
    for (const object of list.items) {
      seen.add(keyOf(object));
      known.set(keyOf(object), object);
      options.onUpsert(object);
    }
    for (const [key, object] of known) {
      if (seen.has(key)) continue;
      known.delete(key);
      options.onDelete(object);
    }
    resourceVersion = list.metadata?.resourceVersion;
  }

  /** Resolves when the watch ends: normally (undefined) or with the error that ended it. */
  function watchOnce(): Promise<unknown> {
    return new Promise((resolve) => {
      const query = {
        fieldSelector: options.fieldSelector,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_SECONDS,
      };
      const onEvent = (type: string, object: T & WatchStatus) => {
        if (stopping.signal.aborted) return;
        if (type === "ERROR") {
          // A Status object; 410 means our resourceVersion is too old to resume from.
          if (object.code === 410) resourceVersion = undefined;
          return;
        }
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        if (type === "BOOKMARK") return;
        const decoded = options.decode ? options.decode(object) : object;
        if (type === "DELETED") {
          known.delete(keyOf(decoded));
          options.onDelete(decoded);
        } else {
          known.set(keyOf(decoded), decoded);
          options.onUpsert(decoded);
        }
      };
      const onDone = (error: unknown) => {
        if ((error as { statusCode?: number } | null)?.statusCode === 410) resourceVersion = undefined;
        resolve(error ?? undefined);
      };
      new Watch(options.kubeConfig).watch(options.path, query, onEvent, onDone).then(
        (controller) => {
          watch = controller;
          if (stopping.signal.aborted) controller.abort();
        },
        onDone,
      );
    });
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        if (resourceVersion === undefined) await relist();
        const error = await watchOnce();
        if (error && !stopping.signal.aborted) throw error;
        failures = 0;
      } catch (error) {
        if (stopping.signal.aborted) break;
        failures++;
        options.log(`watch ${options.path}: ${describeError(error)} (retry ${failures})`);
        // The apiserver is probably restarting: back off a little, up to 2 s.
        await sleep(Math.min(100 * 2 ** failures, 2_000), stopping.signal).catch(() => {});
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      watch?.abort();
      await loop;
    },
  };
}
