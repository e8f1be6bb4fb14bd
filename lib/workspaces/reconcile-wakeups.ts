import { Client } from "pg";
import type { DatabaseTarget } from "@/lib/db/sql";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { logger } from "@/lib/observability/logger";

// How a replica that isn't the leader wakes the leader's reconciler when a
// user changes a workspace's desired state: a PostgreSQL notification on one
// channel, the workspace's id as its payload.
//
// - Sent after the change's transaction has committed (reconcile-trigger.ts),
//   the same moment the leader is asked in-process: a change that rolled back
//   wakes nobody, and the call sites stay one line after their transaction.
//   A replica dying between the commit and the NOTIFY loses the wake-up;
//   the periodic pass is the safety net for that, as for any lost one.
// - Heard by the leader on a connection of its own, not one of the Prisma
//   pool's: LISTEN belongs to a session, and pooled sessions are handed
//   around. (Nor through a transaction-mode pooler such as PgBouncer's, which
//   would drop it: like the leader lock, it needs a direct connection.)
// - PostgreSQL keeps no notification for a listener that isn't connected: so
//   each time the LISTEN is in place, first or after a reconnect, the
//   reconciler runs a full pass for what changed while nobody listened.
// - The embedded PGlite database has one process, which is always the
//   leader and always asks its reconciler in-process; it listens for nothing.

/** The channel; tests that seed workspaces in SQL notify on it as a replica does. */
export const RECONCILE_WAKEUP_CHANNEL = "podspace_reconcile";
/** The wait before connecting again after the connection was lost or refused. */
const RECONNECT_MS = 1_000;
/** How the listening connection appears in pg_stat_activity. */
const APPLICATION_NAME = "podspace reconcile wakeups";

export interface WakeupHandlers {
  /** A workspace's desired state changed on some replica. */
  onWakeup(workspaceId: string): void;
  /** Listening, for the first time or again: anything sent before went unheard. */
  onListening(): void;
}

/** Starts listening for wake-ups; returns the function that stops. */
export type WakeupSource = (handlers: WakeupHandlers) => () => Promise<void>;

/** Asks the leader, wherever it runs, to reconcile the workspaces now: one notification each, in one statement. */
export async function sendReconcileWakeups(db: PrismaClient, workspaceIds: readonly string[]): Promise<void> {
  // $executeRaw: pg_notify returns void, which $queryRaw can't read back.
  await db.$executeRaw`SELECT pg_notify(${RECONCILE_WAKEUP_CHANNEL}, id) FROM unnest(${workspaceIds}::text[]) AS id`;
}

/** Where the leader hears wake-ups: PostgreSQL's LISTEN; nothing on the embedded database. */
export function reconcileWakeups(target: DatabaseTarget): WakeupSource | undefined {
  return target.kind === "postgres" ? (handlers) => listen(target.url, handlers) : undefined;
}

function listen(url: string, handlers: WakeupHandlers): () => Promise<void> {
  let stopped = false;
  let client: Client | null = null;
  let retry: NodeJS.Timeout | undefined;

  async function connect() {
    const connection = new Client({ connectionString: url, connectionTimeoutMillis: 10_000, keepAlive: true, application_name: APPLICATION_NAME });
    client = connection;
    connection.on("notification", (message) => message.payload && handlers.onWakeup(message.payload));
    connection.on("error", (error) => lost(connection, error));
    connection.on("end", () => lost(connection));
    try {
      await connection.connect();
      await connection.query(`LISTEN ${RECONCILE_WAKEUP_CHANNEL}`);
    } catch (error) {
      lost(connection, error);
      return;
    }
    if (client === connection) handlers.onListening();
  }

  function lost(connection: Client, error?: unknown) {
    if (client !== connection) return;
    client = null;
    void connection.end().catch(() => {});
    if (stopped) return;
    logger.warn({ err: error }, "the reconcile wake-ups' connection to PostgreSQL was lost; reconnecting, then a full pass");
    retry = setTimeout(() => void connect(), RECONNECT_MS);
  }

  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const connection = client;
    client = null;
    await connection?.end().catch(() => {});
  };
}
