import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { SqlSession } from "./sql";

// Applies prisma/migrations/*/migration.sql the way `prisma migrate deploy`
// does, without the schema-engine binary: same table, same checksum, same
// advisory lock key. Either tool can take over from the other.

/** The advisory lock key Prisma Migrate takes, so the two tools exclude each other. */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

// Read at run time from the working directory, not bundled: the comment stops
// Next.js from tracing the whole project into the build because of it.
export const MIGRATIONS_DIR = path.join(/* turbopackIgnore: true */ process.cwd(), "prisma", "migrations");

export interface Migration {
  name: string;
  sql: string;
  /** SHA-256 of the file, as Prisma records it. */
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

/** A migration problem that must stop startup; the message says what to do. */
export class MigrationError extends Error {
  override name = "MigrationError";
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await fs.readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/**
 * Brings the database up to date. Each migration runs in its own transaction
 * and is recorded in that same transaction, so a failure leaves nothing of it
 * behind. Concurrent callers queue on the advisory lock and the later ones
 * find nothing left to do. Returns the names it applied.
 */
export async function migrate(session: SqlSession, migrations: Migration[]): Promise<string[]> {
  await session.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
  try {
    await session.exec(CREATE_MIGRATIONS_TABLE);
    const { pending } = checkHistory(migrations, await readHistory(session));
    for (const migration of pending) await applyOne(session, migration);
    return pending.map((migration) => migration.name);
  } finally {
    await session.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
  }
}

/** Reports what is applied and pending, without changing anything. */
export async function migrationStatus(session: SqlSession, migrations: Migration[]): Promise<MigrationStatus> {
  const [table] = await session.query<{ exists: boolean }>(
    "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists",
  );
  const history = table?.exists ? await readHistory(session) : [];
  const { applied, pending } = checkHistory(migrations, history);
  return { applied, pending: pending.map((migration) => migration.name) };
}

async function readHistory(session: SqlSession): Promise<MigrationRow[]> {
  return session.query<MigrationRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at
       FROM _prisma_migrations ORDER BY started_at`,
  );
}

function checkHistory(migrations: Migration[], history: MigrationRow[]) {
  const live = history.filter((row) => row.rolled_back_at === null);
  const failed = live.find((row) => row.finished_at === null);
  if (failed) {
    throw new MigrationError(
      `Migration "${failed.migration_name}" is recorded as failed in _prisma_migrations. ` +
        `Fix the database by hand, then mark it with \`prisma migrate resolve\`.`,
    );
  }
  const appliedChecksums = new Map(live.map((row) => [row.migration_name, row.checksum]));
  for (const migration of migrations) {
    const recorded = appliedChecksums.get(migration.name);
    if (recorded !== undefined && recorded !== migration.checksum) {
      throw new MigrationError(
        `Migration "${migration.name}" was changed after it was applied ` +
          `(checksum ${migration.checksum.slice(0, 12)}… on disk, ${recorded.slice(0, 12)}… applied). ` +
          `Restore prisma/migrations/${migration.name}/migration.sql and put the change in a new migration.`,
      );
    }
  }
  return {
    applied: migrations.filter((m) => appliedChecksums.has(m.name)).map((m) => m.name),
    pending: migrations.filter((m) => !appliedChecksums.has(m.name)),
  };
}

async function applyOne(session: SqlSession, migration: Migration): Promise<void> {
  await session.exec("BEGIN");
  try {
    await session.exec(migration.sql);
    await session.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await session.exec("COMMIT");
  } catch (error) {
    await session.exec("ROLLBACK");
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration "${migration.name}" failed and was rolled back: ${reason}`, { cause: error });
  }
}

// Prisma Migrate's own definition of its history table.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;
