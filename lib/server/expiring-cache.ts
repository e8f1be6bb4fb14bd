// A value per key, loaded once and reused for `ttlMs`: what a proxy asks
// the database on every request (who a session is, who may use a workspace)
// and can answer from a few seconds ago instead.

export interface ExpiringCacheOptions<V> {
  ttlMs: number;
  load(key: string): Promise<V>;
  /** Whether a loaded value is kept (default: all); a refusal not kept is asked again next time. */
  keep?(value: V): boolean;
  /** Above this many entries, expired ones are dropped. */
  maxEntries?: number;
}

export function createExpiringCache<V>({ ttlMs, load, keep = () => true, maxEntries = 10_000 }: ExpiringCacheOptions<V>): (key: string) => Promise<V> {
  const entries = new Map<string, { at: number; value: V }>();
  return async (key) => {
    const cached = entries.get(key);
    if (cached && Date.now() - cached.at < ttlMs) return cached.value;
    entries.delete(key);
    if (entries.size > maxEntries) {
      for (const [other, entry] of entries) if (Date.now() - entry.at >= ttlMs) entries.delete(other);
    }
    const value = await load(key);
    if (keep(value)) entries.set(key, { at: Date.now(), value });
    return value;
  };
}
