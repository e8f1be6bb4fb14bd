// A value per key, loaded once and reused for `ttlMs`: what a proxy asks
// on every request (who a session is, who may use a workspace, where its
// port is) and can answer from a few seconds ago instead. Callers that ask
// while the key is being loaded share that load.

export interface ExpiringCacheOptions<K, V> {
  ttlMs: number;
  load(key: K): Promise<V>;
  /** The key as a string, for keys that aren't one. */
  keyOf?(key: K): string;
  /** Whether a loaded value is kept (default: all); a refusal not kept is asked again next time. */
  keep?(value: V): boolean;
  /** Above this many entries, expired ones are dropped. */
  maxEntries?: number;
}

/** The cached value of a key; forget(key) drops it, so the next call loads it afresh (the value is known to be stale). */
export type ExpiringCache<K, V> = ((key: K) => Promise<V>) & { forget(key: K): void };

export function createExpiringCache<K, V>({ ttlMs, load, keyOf = String, keep = () => true, maxEntries = 10_000 }: ExpiringCacheOptions<K, V>): ExpiringCache<K, V> {
  const entries = new Map<string, { at: number; value: V }>();
  const loading = new Map<string, Promise<V>>();
  const get = async (key: K) => {
    const name = keyOf(key);
    const cached = entries.get(name);
    if (cached && Date.now() - cached.at < ttlMs) return cached.value;
    const pending = loading.get(name);
    if (pending) return pending;
    entries.delete(name);
    if (entries.size > maxEntries) {
      for (const [other, entry] of entries) if (Date.now() - entry.at >= ttlMs) entries.delete(other);
    }
    const loaded = load(key).then((value) => {
      if (keep(value)) entries.set(name, { at: Date.now(), value });
      return value;
    });
    loading.set(name, loaded);
    try {
      return await loaded;
    } finally {
      loading.delete(name);
    }
  };
  return Object.assign(get, { forget: (key: K) => void entries.delete(keyOf(key)) });
}
