import { createAdapter } from "@/lib/db/client";
import type { PoolName } from "@/lib/db/pool";
import { PrismaClient, type Prisma } from "@/lib/generated/prisma/client";
import { usePostgresAppDatabase } from "./postgres-app-database";

/**
 * A client for `url` made like the app's (lib/db/client.ts: adapter-pg, the
 * pool's size) that shows `onQuery` every statement it sends, with Prisma's
 * query events: every query and COMMIT (Prisma reports no BEGIN).
 */
export function queryObservingClient(url: string, onQuery: (event: Prisma.QueryEvent) => void, pool: PoolName = "pages"): PrismaClient {
  const client = new PrismaClient({ adapter: createAdapter({ kind: "postgres", url }, pool), log: [{ emit: "event", level: "query" }] });
  client.$on("query", onQuery);
  return client;
}

/** A client for `url` (see queryObservingClient) that counts the statements it sends. */
export function queryCountingClient(url: string, pool: PoolName = "pages"): { client: PrismaClient; queries(): number } {
  let count = 0;
  const client = queryObservingClient(url, () => (count += 1), pool);
  return { client, queries: () => count };
}

/**
 * usePostgresAppDatabase with clients that count their statements; returns
 * the count of `pool`'s client (the background loops': "background").
 */
export function usePostgresAppDatabaseCounting(pool: PoolName): () => number {
  const counters = new Map<PoolName, () => number>();
  usePostgresAppDatabase({
    createClient(url, each) {
      const counting = queryCountingClient(url, each);
      counters.set(each, counting.queries);
      return counting.client;
    },
  });
  return () => counters.get(pool)?.() ?? 0;
}
