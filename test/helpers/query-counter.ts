import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";

/**
 * A client for `url` made like the app's (lib/db/client.ts: adapter-pg,
 * default pool) that counts the statements it sends, with Prisma's query
 * events: every query and COMMIT (Prisma reports no BEGIN).
 */
export function queryCountingClient(url: string): { client: PrismaClient; queries(): number } {
  let count = 0;
  const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }), log: [{ emit: "event", level: "query" }] });
  client.$on("query", () => (count += 1));
  return { client, queries: () => count };
}
