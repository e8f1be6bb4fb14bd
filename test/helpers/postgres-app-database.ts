import { afterAll, beforeAll, inject } from "vitest";
import { createPrismaClient } from "@/lib/db/client";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { createTestDatabase } from "./postgres-setup";

/**
 * Points this test file's getDb() at a fresh, migrated PostgreSQL database
 * instead of the embedded one: for behaviour that needs real concurrency
 * (row locks under parallel transactions), which PGlite's single connection
 * cannot show. `createClient` makes the client instead of the app's own
 * (e.g. one that counts its queries). Returns the database's URL, once set
 * up, for connections of the test's own.
 */
export function usePostgresAppDatabase(options: { createClient?: (url: string) => PrismaClient } = {}): { url(): string } {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  // The slot lib/db/client.ts keeps its per-process client in.
  const slot = Symbol.for("podspace.prisma");
  const store = globalThis as Record<symbol, unknown>;

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    const target = { kind: "postgres" as const, url: database.url };
    await prepareDatabase(target);
    store[slot] = options.createClient?.(database.url) ?? createPrismaClient(target);
  });
  afterAll(async () => {
    const client = store[slot] as { $disconnect(): Promise<void> } | undefined;
    delete store[slot];
    await client?.$disconnect();
    await database?.drop();
  });
  return { url: () => database.url };
}
