import { describe, expect, it } from "vitest";
import { migrate, readMigrations } from "@/lib/db/migrate";
import { withSqlSession } from "@/lib/db/sql";
import { backends, useFreshDatabase } from "../helpers/databases";
import { shapeFromDatabase, shapeFromPrismaSchema } from "../helpers/schema-shape";

// The migrations are hand-kept SQL (the schema engine cannot be downloaded
// here), so this is what keeps them honest: the migrated database must be
// exactly what schema.prisma describes.
describe.each(backends)("the migrated %s database", (backend) => {
  const database = useFreshDatabase(backend);

  it("matches schema.prisma: every model, field, enum, index and relation", async () => {
    const expected = await shapeFromPrismaSchema();
    const actual = await withSqlSession(database.target, async (session) => {
      await migrate(session, await readMigrations());
      return shapeFromDatabase(session);
    });
    expect(Object.keys(expected.tables).length).toBeGreaterThan(10);
    expect(actual).toEqual(expected);
  });

  it("would notice a drifted column", async () => {
    const expected = await shapeFromPrismaSchema();
    const actual = await withSqlSession(database.target, async (session) => {
      await migrate(session, await readMigrations());
      await session.exec('ALTER TABLE "Workspace" ALTER COLUMN "stateReason" SET NOT NULL');
      return shapeFromDatabase(session);
    });
    expect(actual.tables.Workspace?.stateReason).toBe("text not null");
    expect(actual).not.toEqual(expected);
  });
});
