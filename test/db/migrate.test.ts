import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrate, MigrationError, migrationStatus, readMigrations, type Migration } from "@/lib/db/migrate";
import { withSqlSession, type SqlSession } from "@/lib/db/sql";
import { backends, freshDatabase, useFreshDatabase } from "../helpers/databases";

const history = (session: SqlSession) =>
  session.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
    "SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name",
  );

const tableExists = async (session: SqlSession, table: string) =>
  (await session.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [`"${table}"`]))[0]
    ?.exists;

function syntheticMigration(name: string, sql: string): Migration {
  return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
}

describe.each(backends)("migrations on %s", (backend) => {
  const database = useFreshDatabase(backend);

  it("applies every migration once and records it the way Prisma does", async () => {
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);

    await withSqlSession(database.target, async (session) => {
      expect(await migrate(session, migrations)).toEqual(migrations.map((m) => m.name));
      expect(await migrate(session, migrations)).toEqual([]);

      const rows = await history(session);
      expect(rows.map((row) => row.migration_name)).toEqual(migrations.map((m) => m.name));
      for (const [index, row] of rows.entries()) {
        const file = await fs.readFile(path.join("prisma/migrations", row.migration_name, "migration.sql"));
        expect(row.checksum).toBe(createHash("sha256").update(file).digest("hex"));
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.applied_steps_count).toBe(1);
        expect(migrations[index]?.checksum).toBe(row.checksum);
      }
      expect(await tableExists(session, "Workspace")).toBe(true);
      expect(await migrationStatus(session, migrations)).toEqual({
        applied: migrations.map((m) => m.name),
        pending: [],
      });
    });
  });

  it("reports pending migrations without applying them", async () => {
    const migrations = await readMigrations();
    await withSqlSession(database.target, async (session) => {
      expect(await migrationStatus(session, migrations)).toEqual({
        applied: [],
        pending: migrations.map((m) => m.name),
      });
      expect(await tableExists(session, "User")).toBe(false);
    });
  });

  it("refuses to start when an applied migration was edited", async () => {
    const original = syntheticMigration("20260101000000_widgets", 'CREATE TABLE "Widget" ("id" TEXT PRIMARY KEY);');
    const edited = { ...original, ...syntheticMigration(original.name, `${original.sql}\n-- tweak`) };
    await withSqlSession(database.target, async (session) => {
      await migrate(session, [original]);
      const attempt = migrate(session, [edited]);
      await expect(attempt).rejects.toBeInstanceOf(MigrationError);
      await expect(attempt).rejects.toThrow(/"20260101000000_widgets" was changed after it was applied/);
      // Status checks (readiness) report the same problem instead of "ready".
      await expect(migrationStatus(session, [edited])).rejects.toThrow(/was changed after it was applied/);
    });
  });

  it("rolls back a failing migration entirely and keeps the ones before it", async () => {
    const good = syntheticMigration("20260101000000_good", 'CREATE TABLE "Good" ("id" TEXT PRIMARY KEY);');
    const bad = syntheticMigration(
      "20260102000000_bad",
      'CREATE TABLE "Half" ("id" TEXT PRIMARY KEY);\nALTER TABLE "Missing" ADD COLUMN "x" TEXT;',
    );
    const after = syntheticMigration("20260103000000_after", 'CREATE TABLE "After" ("id" TEXT PRIMARY KEY);');

    await withSqlSession(database.target, async (session) => {
      await expect(migrate(session, [good, bad, after])).rejects.toThrow(
        /"20260102000000_bad" failed and was rolled back: .*"Missing"/,
      );
      expect(await tableExists(session, "Good")).toBe(true);
      expect(await tableExists(session, "Half")).toBe(false);
      expect(await tableExists(session, "After")).toBe(false);
      expect((await history(session)).map((row) => row.migration_name)).toEqual([good.name]);
      // The session is usable again: the failed transaction did not leak.
      expect(await session.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    });
  });

  it("reads migrations in name order from Prisma's folder layout", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-migrations-"));
    for (const name of ["20260102000000_b", "20260101000000_a"]) {
      await fs.mkdir(path.join(dir, name));
      await fs.writeFile(path.join(dir, name, "migration.sql"), `-- ${name}\n`);
    }
    await fs.writeFile(path.join(dir, "migration_lock.toml"), 'provider = "postgresql"\n');
    expect((await readMigrations(dir)).map((m) => m.name)).toEqual(["20260101000000_a", "20260102000000_b"]);
    await fs.rm(dir, { recursive: true });
  });
});

describe("concurrent migrators on PostgreSQL", () => {
  it("apply each migration exactly once", async () => {
    const database = await freshDatabase("postgres");
    try {
      const migrations = await readMigrations();
      // Separate connections racing, as separate processes would.
      const results = await Promise.all(
        Array.from({ length: 6 }, () => withSqlSession(database.target, (session) => migrate(session, migrations))),
      );
      expect(results.flat().sort()).toEqual(migrations.map((m) => m.name).sort());
      await withSqlSession(database.target, async (session) => {
        const counts = await session.query<{ migration_name: string; n: string }>(
          "SELECT migration_name, count(*) AS n FROM _prisma_migrations GROUP BY migration_name",
        );
        expect(counts.map((row) => Number(row.n))).toEqual(migrations.map(() => 1));
      });
    } finally {
      await database.dispose();
    }
  });
});
