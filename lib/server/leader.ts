import { Client } from "pg";
import type { DatabaseTarget } from "@/lib/db/sql";

// Background loops (reconcile, idle stop, rollups) must run on exactly one
// replica. The leader holds a session-level PostgreSQL advisory lock on a
// connection of its own: if the leader dies, PostgreSQL drops its connection
// and the lock with it, and another replica takes over at its next try.
// The embedded PGlite database belongs to one process, which always leads.

/** pg_advisory_lock key for leadership: "podspace.leader" as a 32-bit hash, fixed forever. */
const LEADER_LOCK_KEY = 0x706f_6473;
const RETRY_MS = 5_000;

export interface Leadership {
  /** Stops trying; a leader runs `onDemoted` and releases the lock. */
  stop(): Promise<void>;
}

export function electLeader(
  target: DatabaseTarget,
  handlers: { onElected: () => void; onDemoted: () => Promise<void> },
  options: { retryMs?: number } = {},
): Leadership {
  if (target.kind === "pglite") {
    handlers.onElected();
    return { stop: () => handlers.onDemoted() };
  }

  let stopped = false;
  let client: Client | null = null;
  let leading = false;
  let timer: NodeJS.Timeout | undefined;

  async function demote() {
    if (!leading) return;
    leading = false;
    await handlers.onDemoted();
  }

  async function attempt() {
    try {
      if (!client) {
        const fresh = new Client({ connectionString: target.kind === "postgres" ? target.url : "", connectionTimeoutMillis: 10_000 });
        // A lost connection means a lost lock: step down, then try again.
        fresh.on("error", () => void lost(fresh));
        await fresh.connect();
        client = fresh;
      }
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [LEADER_LOCK_KEY]);
      if (rows[0]?.locked && !stopped) {
        leading = true;
        handlers.onElected();
        return;
      }
    } catch {
      if (client) await lost(client);
    }
    if (!stopped) timer = setTimeout(() => void attempt(), options.retryMs ?? RETRY_MS);
  }

  async function lost(which: Client) {
    if (client !== which) return;
    client = null;
    await which.end().catch(() => {});
    await demote();
    if (!stopped) timer = setTimeout(() => void attempt(), options.retryMs ?? RETRY_MS);
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
