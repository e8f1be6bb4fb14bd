import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { env, type Env } from "@/lib/env";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { closeAllPglite, openPglite } from "./pglite";
import type { DatabaseTarget } from "./sql";

/** PostgreSQL when DATABASE_URL is set, otherwise PGlite under the data dir. */
export function databaseTarget(config: Pick<Env, "DATABASE_URL" | "PODSPACE_DATA_DIR"> = env): DatabaseTarget {
  return config.DATABASE_URL
    ? { kind: "postgres", url: config.DATABASE_URL }
    : { kind: "pglite", dir: `${config.PODSPACE_DATA_DIR}/db` };
}

export function createPrismaClient(target: DatabaseTarget): PrismaClient {
  const adapter =
    target.kind === "postgres"
      ? new PrismaPg({ connectionString: target.url })
      : new PrismaPGlite(openPglite(target.dir));
  return new PrismaClient({ adapter });
}

// One client per process, shared by server.ts and the Next.js bundle (which
// load this module separately), and created on first use so that merely
// importing it (as `next build` does) opens no database.
const CLIENT = Symbol.for("podspace.prisma");
const globalStore = globalThis as { [CLIENT]?: PrismaClient };

export function getDb(): PrismaClient {
  return (globalStore[CLIENT] ??= createPrismaClient(databaseTarget()));
}

/** Closes the shared client and any embedded database. */
export async function closeDb(): Promise<void> {
  const client = globalStore[CLIENT];
  delete globalStore[CLIENT];
  await client?.$disconnect();
  await closeAllPglite();
}
