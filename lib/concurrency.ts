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
