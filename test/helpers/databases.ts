import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, inject } from "vitest";
import { migrate, readMigrations } from "@/lib/db/migrate";
import { closePglite } from "@/lib/db/pglite";
import { withSqlSession, type DatabaseTarget, type SqlSession } from "@/lib/db/sql";
import { createTestDatabase } from "./postgres-setup";

/** A fresh, empty database of each kind Podspace supports. */
export interface TestDatabase {
  target: DatabaseTarget;
  dispose(): Promise<void>;
}

export const backends = ["pglite", "postgres"] as const;
export type Backend = (typeof backends)[number];

export async function freshDatabase(kind: Backend): Promise<TestDatabase> {
  if (kind === "postgres") {
    const database = await createTestDatabase(inject("postgresAdminUrl"));
    return { target: { kind, url: database.url }, dispose: database.drop };
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-pglite-"));
  return {
    target: { kind, dir },
    async dispose() {
      await closePglite(dir);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database of `kind` for each test of the calling describe block, disposed of after the test. */
export function useFreshDatabase(kind: Backend): TestDatabase {
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    current = await freshDatabase(kind);
  });
  afterEach(async () => {
    await current?.dispose();
  });
  return {
    get target() {
      return current!.target;
    },
    dispose: () => current!.dispose(),
  };
}

/**
 * Runs `work` on a connection to `database` migrated up to the migration
 * `name`, not yet applied: `work` sets up what an install had before it, then
 * calls `upgrade` to apply it and the rest, as that install's upgrade would.
 */
export async function upgradingTo(database: TestDatabase, name: string, work: (session: SqlSession, upgrade: () => Promise<void>) => Promise<void>): Promise<void> {
  const migrations = await readMigrations();
  const at = migrations.findIndex((migration) => migration.name === name);
  if (at < 1) throw new Error(`There is no migration ${name} after the first.`);
  await withSqlSession(database.target, async (session) => {
    await migrate(session, migrations.slice(0, at));
    await work(session, async () => {
      await migrate(session, migrations);
    });
  });
}
