import { createAdapter } from "@/lib/db/client";
import type { PoolName } from "@/lib/db/pool";
import { PrismaClient, type Prisma } from "@/lib/generated/prisma/client";

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
