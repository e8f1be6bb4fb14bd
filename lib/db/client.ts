import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { env, type Env } from "@/lib/env";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { closeAllPglite, openPglite } from "./pglite";
import { createPool, type PoolName } from "./pool";
import type { DatabaseTarget } from "./sql";

/** PostgreSQL when DATABASE_URL is set, otherwise PGlite under the data dir. */
export function databaseTarget(config: Pick<Env, "DATABASE_URL" | "PODSPACE_DATA_DIR"> = env): DatabaseTarget {
  return config.DATABASE_URL
    ? { kind: "postgres", url: config.DATABASE_URL }
    : { kind: "pglite", dir: `${config.PODSPACE_DATA_DIR}/db` };
}

const POOL_SIZES: Record<PoolName, number> = {
  pages: env.PODSPACE_DB_POOL_SIZE,
  background: env.PODSPACE_DB_BACKGROUND_POOL_SIZE,
};

/** The driver adapter a client of that pool uses: on PostgreSQL, a pool of its own, ended with the client. */
export function createAdapter(target: DatabaseTarget, pool: PoolName = "pages") {
  return target.kind === "postgres"
    ? new PrismaPg(createPool(pool, target.url, POOL_SIZES[pool]), { disposeExternalPool: true })
    : new PrismaPGlite(openPglite(target.dir));
}

export function createPrismaClient(target: DatabaseTarget, pool: PoolName = "pages"): PrismaClient {
  return new PrismaClient({ adapter: createAdapter(target, pool) });
}

// One client per pool and process, shared by server.ts and the Next.js bundle
// (which load this module separately), and created on first use so that
// merely importing it (as `next build` does) opens no database.
const CLIENTS: Record<PoolName, symbol> = {
  pages: Symbol.for("podspace.prisma"),
  background: Symbol.for("podspace.prisma.background"),
};
const globalStore = globalThis as Record<symbol, PrismaClient | undefined>;

/** The client of pages, server actions and routes (PODSPACE_DB_POOL_SIZE connections). */
export function getDb(): PrismaClient {
  return (globalStore[CLIENTS.pages] ??= createPrismaClient(databaseTarget()));
}

/**
 * The client of background work: the reconciler, the lifecycle and usage
 * loops, metrics that scan tables. Its pool of PODSPACE_DB_BACKGROUND_POOL_SIZE
 * connections is its own, so pages never queue behind that work, nor it
 * behind a burst of pages. Code both share (transition(), meterWorkspace())
 * takes the client or transaction it is given rather than choosing one.
 * PGlite is one connection in all: there this is getDb()'s client.
 */
export function getBackgroundDb(): PrismaClient {
  const target = databaseTarget();
  return (globalStore[CLIENTS.background] ??= target.kind === "postgres" ? createPrismaClient(target, "background") : getDb());
}

/**
 * Points this process's getDb() and getBackgroundDb() at the given clients
 * (a test's or benchmark's own database) instead of the environment's.
 * Returns a function that takes them out again and disconnects them.
 */
export function installDbClients(clients: Record<PoolName, PrismaClient>): () => Promise<void> {
  for (const pool of Object.keys(CLIENTS) as PoolName[]) globalStore[CLIENTS[pool]] = clients[pool];
  return async () => {
    for (const slot of Object.values(CLIENTS)) delete globalStore[slot];
    await Promise.all([...new Set(Object.values(clients))].map((client) => client.$disconnect()));
  };
}

/** Closes the shared clients and any embedded database. */
export async function closeDb(): Promise<void> {
  const clients = new Set(Object.values(CLIENTS).map((slot) => globalStore[slot]));
  for (const slot of Object.values(CLIENTS)) delete globalStore[slot];
  await Promise.all([...clients].map((client) => client?.$disconnect()));
  await closeAllPglite();
}
