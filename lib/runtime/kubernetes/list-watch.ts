import { Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";

// A list followed by a watch from the list's resourceVersion, kept alive:
// a watch that ends cleanly (the server's or the client's timeout) is
// resumed from the last resourceVersion; one that fails (the apiserver
// restarted, the network dropped) is followed by a fresh list, with backoff;
// 410 Gone (our resourceVersion was compacted away) means list again.
// client-node's ListWatch would stop for good on the first failure.

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface ListWatchOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** The collection to watch, e.g. /api/v1/pods. */
  path: string;
  list(): Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Every (re)list: the whole current collection, replacing whatever was known. */
  onList(items: T[]): void;
  onEvent(type: WatchEventType, object: T): void;
  /** A failed list or watch, before the retry; for logs. */
  onError?(error: unknown): void;
}

export interface ListWatchHandle {
  stop(): void;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15_000;
/** A watch that ends sooner than this without news is treated like a failure, so it can't spin. */
const MIN_HEALTHY_WATCH_MS = 1_000;

type WatchOutcome = { kind: "ended"; sawEvents: boolean; durationMs: number } | { kind: "gone" } | { kind: "failed"; error: unknown };

export function startListWatch<T extends KubernetesObject>(options: ListWatchOptions<T>): ListWatchHandle {
  const stopped = new AbortController();
  const watch = new Watch(options.kubeConfig);
  /** Where the next watch resumes; undefined means list first. */
  let resourceVersion: string | undefined;

  const watchOnce = (from: string) =>
    new Promise<WatchOutcome>((resolve) => {
      const startedAt = Date.now();
      let sawEvents = false;
      let gone = false;
      let request: AbortController | undefined;
      const abort = () => request?.abort();
      stopped.signal.addEventListener("abort", abort, { once: true });
      const done = (error: unknown) => {
        stopped.signal.removeEventListener("abort", abort);
        if (gone || isGone(error)) resolve({ kind: "gone" });
        // The client gives up on a watch after 30 s without data; nothing was lost.
        else if (error && !isClientTimeout(error)) resolve({ kind: "failed", error });
        else resolve({ kind: "ended", sawEvents, durationMs: Date.now() - startedAt });
      };
      const params = {
        resourceVersion: from,
        allowWatchBookmarks: true,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      };
      const onEvent = (type: string, object: T & { code?: number }) => {
        if (type === "ERROR") {
          // A Status in the stream; the server ends the watch after it.
          if (object.code === 410) gone = true;
          return;
        }
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        if (type === "BOOKMARK") return;
        sawEvents = true;
        options.onEvent(type as WatchEventType, object);
      };
      watch.watch(options.path, params, onEvent, done).then((controller) => {
        request = controller;
        if (stopped.signal.aborted) controller.abort();
      }, done);
    });

  const run = async () => {
    let backoff = 0;
    while (!stopped.signal.aborted) {
      if (backoff > 0) await sleep(backoff, stopped.signal);
      if (stopped.signal.aborted) return;
      try {
        if (resourceVersion === undefined) {
          const list = await options.list();
          if (stopped.signal.aborted) return;
          resourceVersion = list.metadata?.resourceVersion ?? "";
          options.onList(list.items);
        }
        const outcome = await watchOnce(resourceVersion);
        if (stopped.signal.aborted) return;
        if (outcome.kind === "gone") {
          resourceVersion = undefined;
          backoff = 0;
        } else if (outcome.kind === "failed") {
          options.onError?.(outcome.error);
          resourceVersion = undefined;
          backoff = nextBackoff(backoff);
        } else {
          const healthy = outcome.sawEvents || outcome.durationMs >= MIN_HEALTHY_WATCH_MS;
          backoff = healthy ? 0 : nextBackoff(backoff);
        }
      } catch (error) {
        options.onError?.(error);
        backoff = nextBackoff(backoff);
      }
    }
  };
  void run();
  return { stop: () => stopped.abort() };
}

function nextBackoff(previous: number): number {
  return Math.min(MAX_BACKOFF_MS, previous > 0 ? previous * 2 : MIN_BACKOFF_MS);
}

function isGone(error: unknown): boolean {
  const status = (error as { statusCode?: number; code?: number } | null | undefined) ?? {};
  return status.statusCode === 410 || status.code === 410;
}

function isClientTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | null | undefined)?.name === "TimeoutError";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
