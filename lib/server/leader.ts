import { Client } from "pg";
import type { DatabaseTarget } from "@/lib/db/sql";
import { metrics } from "@/lib/observability/metrics";

// Background loops (reconcile, idle stop, rollups) must run on exactly one
// replica. The leader holds a session-level PostgreSQL advisory lock on a
// connection of its own: if the leader dies, PostgreSQL drops its connection
// and the lock with it, and another replica takes over at its next try.
// The embedded PGlite database belongs to one process, which always leads.
//
// Leadership moves within about 15 s whatever way the leader goes:
// - the process dies: its connection closes, the lock is free at once, and a
//   follower's next try (every RETRY_MS) takes it;
// - the leader's host or network vanishes: no FIN reaches PostgreSQL, so the
//   connection asks the server to probe it (tcp_keepalives_*: dead after
//   ~10 s), which then frees the lock. The cut-off leader meanwhile notices
//   its heartbeat failing and steps down, so two leaders don't overlap for
//   long.
// The lock holder's connection is named (application_name) after the replica,
// which is how /admin/health tells who leads.

/** pg_advisory_lock key for leadership: "podspace.leader" as a 32-bit hash, fixed forever. */
const LEADER_LOCK_KEY = 0x706f_6473;
const RETRY_MS = 3_000;
const APPLICATION_NAME_PREFIX = "podspace leader ";
/** Server-side probing of the connection: first probe after 4 s idle, then every 2 s, dead after 3 misses. */
const SERVER_KEEPALIVE = "SET tcp_keepalives_idle = 4; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3";

export interface Leadership {
  /** Stops trying; a leader runs `onDemoted` and releases the lock. */
  stop(): Promise<void>;
}

export function electLeader(
  target: DatabaseTarget,
  handlers: { onElected: () => void; onDemoted: () => Promise<void> },
  options: { retryMs?: number; replicaId?: string } = {},
): Leadership {
  const retryMs = options.retryMs ?? RETRY_MS;
  const elected = () => {
    metrics.leader.set(1);
    handlers.onElected();
  };
  metrics.leader.set(0);
  if (target.kind === "pglite") {
    elected();
    return {
      stop: () => {
        metrics.leader.set(0);
        return handlers.onDemoted();
      },
    };
  }

  let stopped = false;
  let client: Client | null = null;
  let leading = false;
  let timer: NodeJS.Timeout | undefined;

  async function demote() {
    if (!leading) return;
    leading = false;
    metrics.leader.set(0);
    await handlers.onDemoted();
  }

  async function attempt() {
    let fresh: Client | undefined;
    try {
      if (!client) {
        fresh = new Client({
          connectionString: target.kind === "postgres" ? target.url : "",
          connectionTimeoutMillis: 10_000,
          query_timeout: retryMs * 2,
          keepAlive: true,
          application_name: `${APPLICATION_NAME_PREFIX}${options.replicaId ?? "?"}`.slice(0, 63),
        });
        // A lost connection means a lost lock: step down, then try again.
        const connection = fresh;
        connection.on("error", () => void lost(connection));
        await connection.connect();
        await connection.query(SERVER_KEEPALIVE);
        client = connection;
      }
      if (leading) {
        // The heartbeat: a connection that stopped answering has lost the lock by now.
        await client.query("SELECT 1");
      } else {
        const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [LEADER_LOCK_KEY]);
        if (rows[0]?.locked && !stopped) {
          leading = true;
          elected();
        }
      }
    } catch {
      if (client) {
        await lost(client);
        return;
      }
      await fresh?.end().catch(() => {});
    }
    if (!stopped) timer = setTimeout(() => void attempt(), retryMs);
  }

  async function lost(which: Client) {
    if (client !== which) return;
    client = null;
    clearTimeout(timer);
    await which.end().catch(() => {});
    await demote();
    if (!stopped) timer = setTimeout(() => void attempt(), retryMs);
  }

  void attempt();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await demote();
      await client?.end().catch(() => {});
      client = null;
    },
  };
}

/** The replica holding leadership, as named in electLeader's options, or null when none does. */
export async function currentLeader(target: DatabaseTarget): Promise<string | null> {
  if (target.kind === "pglite") return "this process (embedded database)";
  const client = new Client({ connectionString: target.url, connectionTimeoutMillis: 5_000, query_timeout: 5_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    // pg_locks lists the whole server's locks; an advisory lock belongs to its database, as does each installation's leader.
    const { rows } = await client.query<{ name: string }>(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LEADER_LOCK_KEY],
    );
    const name = rows[0]?.name;
    return name === undefined ? null : name.startsWith(APPLICATION_NAME_PREFIX) ? name.slice(APPLICATION_NAME_PREFIX.length) : name;
  } finally {
    await client.end().catch(() => {});
  }
}
