import { afterAll, beforeAll, inject } from "vitest";
import { createPrismaClient, installDbClients } from "@/lib/db/client";
import type { PoolName } from "@/lib/db/pool";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { createTestDatabase } from "./postgres-setup";

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
  let uninstall: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    const target = { kind: "postgres" as const, url: database.url };
    await prepareDatabase(target);
    const client = (pool: PoolName) => options.createClient?.(database.url, pool) ?? createPrismaClient(target, pool);
    uninstall = installDbClients({ pages: client("pages"), background: client("background") });
  });
  afterAll(async () => {
    await uninstall?.();
    await database?.drop();
  });
  return { url: () => database.url };
}
