import { Client } from "pg";
import type { PGlite } from "@electric-sql/pglite";
import { openPglite } from "./pglite";

/**
 * Where the database lives: an external PostgreSQL server, or the embedded
 * PGlite database in the data folder. Both speak the same SQL.
 */
export type DatabaseTarget = { kind: "postgres"; url: string } | { kind: "pglite"; dir: string };

/** One connection that runs plain SQL: enough for migrations and health checks. */
export interface SqlSession {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (no parameters). */
  exec(script: string): Promise<void>;
}

/**
 * Runs `work` on one dedicated connection, so session state such as advisory
 * locks and transactions stays on that connection.
 */
export async function withSqlSession<T>(target: DatabaseTarget, work: (session: SqlSession) => Promise<T>): Promise<T> {
  if (target.kind === "pglite") {
    // PGlite is a single connection shared with Prisma; callers run before
    // Prisma traffic starts (startup) or only issue read-only statements.
    return work(pgliteSession(openPglite(target.dir)));
  }
  const client = new Client({ connectionString: target.url, connectionTimeoutMillis: 10_000 });
  // A dropped connection must surface as a failed query, not an unhandled 'error' event.
  client.on("error", () => {});
  await client.connect();
  try {
    return await work(pgSession(client));
  } finally {
    await client.end().catch(() => {});
  }
}

function pgSession(client: Client): SqlSession {
  return {
    async query(text, params) {
      return (await client.query(text, params)).rows;
    },
    async exec(script) {
      await client.query(script);
    },
  };
}

function pgliteSession(db: PGlite): SqlSession {
  return {
    async query<Row>(text: string, params?: unknown[]) {
      return (await db.query<Row>(text, params)).rows;
    },
    async exec(script) {
      await db.exec(script);
    },
  };
}
