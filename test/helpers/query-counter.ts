import { createAdapter } from "@/lib/db/client";
import type { PoolName } from "@/lib/db/pool";
import { PrismaClient } from "@/lib/generated/prisma/client";

/**
 * A client for `url` made like the app's (lib/db/client.ts: adapter-pg, the
 * pool's size) that counts the statements it sends, with Prisma's query
 * events: every query and COMMIT (Prisma reports no BEGIN).
 */
export function queryCountingClient(url: string, pool: PoolName = "pages"): { client: PrismaClient; queries(): number } {
  let count = 0;
  const client = new PrismaClient({ adapter: createAdapter({ kind: "postgres", url }, pool), log: [{ emit: "event", level: "query" }] });
  client.$on("query", () => (count += 1));
  return { client, queries: () => count };
}
