import pLimit from "p-limit";

/**
 * Calls `each` on every item, at most `limit` at a time, and resolves once
 * all are done: a fixed number of workers take the next item as they free
 * up, so a long list never opens more work at once than the limit.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, each: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface CoalescingRunner {
  /** Asks for a run for `key`; settles with a run that began after this call. */
  request(key: string): Promise<void>;
  /** Resolves once every run asked for so far has ended. */
  settled(): Promise<void>;
}

/**
 * Runs `run(key)` when asked, for many keys: one run per key at a time, at
 * most `limit` runs at once overall, and the requests for a key that arrive
 * before its next run begins share that run. A burst of requests for one key
 * therefore costs the run under way and one more, never one each.
 */
export function coalescingRunner(limit: number, run: (key: string) => Promise<void>): CoalescingRunner {
  const slots = pLimit(limit);
  /** Per key, the latest run asked for: under way, or waiting for the previous one or a slot. */
  const latest = new Map<string, { begun: boolean; ended: Promise<void> }>();

  return {
    request(key) {
      const previous = latest.get(key);
      if (previous && !previous.begun) return previous.ended;
      const next = { begun: false, ended: Promise.resolve() };
      const begin = () =>
        slots(() => {
          next.begun = true;
          return run(key);
        });
      next.ended = previous ? previous.ended.then(begin, begin) : begin();
      latest.set(key, next);
      void next.ended.finally(() => latest.get(key) === next && latest.delete(key)).catch(() => {});
      return next.ended;
    },
    async settled() {
      await Promise.allSettled([...latest.values()].map((entry) => entry.ended));
    },
  };
}

export interface KeyedBatcher<T> {
  /** Adds a value for `key` to the next batch; a later value for the same key replaces it. */
  add(key: string, value: T): void;
  /** Resolves once every batch with a value added so far has been handled. */
  settled(): Promise<void>;
}

/**
 * Hands what is added to `handle` in batches, one batch at a time: the first
 * on the event loop's next turn, so that a burst of adds in one turn makes
 * one batch, and then whatever was added while the previous one was handled.
 * `handle` must not reject: it deals with its own failures.
 */
export function keyedBatcher<T>(handle: (batch: ReadonlyMap<string, T>) => Promise<void>): KeyedBatcher<T> {
  let waiting = new Map<string, T>();
  let draining: Promise<void> | null = null;

  async function drain() {
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (waiting.size > 0) {
        const batch = waiting;
        waiting = new Map();
        await handle(batch);
      }
    } finally {
      // In the same turn as the last look at `waiting`, so an add can't be left behind.
      draining = null;
    }
  }

  return {
    add(key, value) {
      waiting.set(key, value);
      draining ??= drain();
    },
    settled: () => draining ?? Promise.resolve(),
  };
}

/** One item's outcome in a batch. */
export type BatchOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface RequestBatcher<In, Out> {
  /** Hands `item` to the next batch; settles with its own outcome there. */
  submit(item: In): Promise<Out>;
}

/**
 * Hands what is submitted to `handle` in batches of at most `maxBatch`, one
 * batch at a time, in the order submitted: the first on the event loop's next
 * turn, so that a burst submitted in one turn makes one batch, and then
 * whatever was submitted while the previous one was handled. `handle`
 * answers each item's outcome in order; if it throws instead (the batch
 * failed as a whole, e.g. its transaction), each item of a batch of several
 * is handled again in a batch of its own, all at once, so one item that
 * breaks the batch fails only itself.
 */
export function requestBatcher<In, Out>(maxBatch: number, handle: (batch: readonly In[]) => Promise<Array<BatchOutcome<Out>>>): RequestBatcher<In, Out> {
  type Waiting = { item: In; resolve: (value: Out) => void; reject: (error: unknown) => void };
  let waiting: Waiting[] = [];
  let draining: Promise<void> | null = null;

  async function settle(batch: Waiting[]): Promise<void> {
    let outcomes: Array<BatchOutcome<Out>>;
    try {
      outcomes = await handle(batch.map((entry) => entry.item));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      // Side by side: a failure of every item alike (say, no connection within the wait) then costs one wait, not one each.
      await Promise.all(batch.map((entry) => settle([entry])));
      return;
    }
    batch.forEach((entry, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) entry.resolve(outcome.value);
      else entry.reject(outcome.error);
    });
  }

  async function drain() {
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (waiting.length > 0) {
        const batch = waiting.slice(0, maxBatch);
        waiting = waiting.slice(maxBatch);
        await settle(batch);
      }
    } finally {
      // In the same turn as the last look at `waiting`, so a submit can't be left behind.
      draining = null;
    }
  }

  return {
    submit(item) {
      return new Promise<Out>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        draining ??= drain();
      });
    },
  };
}
