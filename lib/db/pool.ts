import pg from "pg";
import { metrics } from "@/lib/observability/metrics";

// The PostgreSQL connection pools behind the Prisma clients (lib/db/client.ts),
// one for pages and one for background work, measured: how long each request
// waits for a connection (podspace_db_pool_wait_seconds), and how many
// connections are in use, idle and waited for (the metrics' gauges, and
// readiness's reason when the pages' pool can't serve).
//
// lib/observability/metrics.ts reads poolUsage() for its gauges while this
// module observes into its histogram: each uses the other only when called.

export const POOL_NAMES = ["pages", "background"] as const;
export type PoolName = (typeof POOL_NAMES)[number];

export interface PoolUsage {
  /** Connections the pools may open. */
  size: number;
  inUse: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
}

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

// server.ts and the Next.js bundle load this module separately, and either
// may open a pool the other reports on: the open pools live on a global symbol.
const OPEN = Symbol.for("podspace.db.pools");
const openPools = ((globalThis as Record<symbol, unknown>)[OPEN] ??= new Map<PoolName, Set<pg.Pool>>()) as Map<PoolName, Set<pg.Pool>>;

/** pg's pool, timing every checkout (pool.query(), which Prisma uses outside transactions, checks out through connect() too). */
class MeasuredPool extends pg.Pool {
  constructor(
    readonly poolName: PoolName,
    config: pg.PoolConfig,
  ) {
    super(config);
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const waited = metrics.dbPoolWait.startTimer({ pool: this.poolName });
    if (!callback) {
      return super.connect().then((client) => {
        waited();
        return client;
      });
    }
    super.connect((error, client, done) => {
      if (!error) waited();
      callback(error, client, done);
    });
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    openPools.get(this.poolName)?.delete(this);
    return callback ? super.end(callback) : super.end();
  }
}

/** A pool of at most `size` connections to `url`, measured under `name`. */
export function createPool(name: PoolName, url: string, size: number): pg.Pool {
  const pool = new MeasuredPool(name, { connectionString: url, max: size });
  const open = openPools.get(name) ?? new Set();
  openPools.set(name, open.add(pool));
  return pool;
}

/**
 * How this process's pools of that name use their connections (summed: a
 * test may open more than one client per pool); null when none is open, as
 * on PGlite.
 */
export function poolUsage(name: PoolName): PoolUsage | null {
  const pools = [...(openPools.get(name) ?? [])];
  if (pools.length === 0) return null;
  const sum = (count: (pool: pg.Pool) => number) => pools.reduce((total, pool) => total + count(pool), 0);
  return {
    size: sum((pool) => pool.options.max),
    inUse: sum((pool) => pool.totalCount - pool.idleCount),
    idle: sum((pool) => pool.idleCount),
    waiting: sum((pool) => pool.waitingCount),
  };
}
