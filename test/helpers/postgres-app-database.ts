import { afterAll, beforeAll, inject } from "vitest";
import { createPrismaClient } from "@/lib/db/client";
import type { PoolName } from "@/lib/db/pool";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { createTestDatabase } from "./postgres-setup";

/** The slots lib/db/client.ts keeps its per-process clients in. */
const SLOTS: Record<PoolName, symbol> = { pages: Symbol.for("podspace.prisma"), background: Symbol.for("podspace.prisma.background") };

/**
 * Points this test file's getDb() and getBackgroundDb() at a fresh, migrated
 * PostgreSQL database instead of the embedded one, each with its own pool as
 * in the app: for behaviour that needs real concurrency (row locks under
 * parallel transactions, pools), which PGlite's single connection cannot
 * show. `createClient` makes a pool's client instead of the app's own (e.g.
 * one that counts its queries). Returns the database's URL, once set up, for
 * connections of the test's own.
 */
export function usePostgresAppDatabase(options: { createClient?: (url: string, pool: PoolName) => PrismaClient } = {}): { url(): string } {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const store = globalThis as Record<symbol, PrismaClient | undefined>;

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    const target = { kind: "postgres" as const, url: database.url };
    await prepareDatabase(target);
    for (const [pool, slot] of Object.entries(SLOTS) as [PoolName, symbol][]) {
      store[slot] = options.createClient?.(database.url, pool) ?? createPrismaClient(target, pool);
    }
  });
  afterAll(async () => {
    const clients = Object.values(SLOTS).map((slot) => store[slot]);
    for (const slot of Object.values(SLOTS)) delete store[slot];
    await Promise.all(clients.map((client) => client?.$disconnect()));
    await database?.drop();
  });
  return { url: () => database.url };
}
