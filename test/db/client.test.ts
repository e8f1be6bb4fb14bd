import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPrismaClient } from "@/lib/db/client";
import { migrate, readMigrations } from "@/lib/db/migrate";
import { closePglite } from "@/lib/db/pglite";
import { withSqlSession } from "@/lib/db/sql";
import { backends, freshDatabase, type TestDatabase } from "../helpers/databases";

describe.each(backends)("the Prisma client on %s", (backend) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await freshDatabase(backend);
    await withSqlSession(database.target, async (session) => migrate(session, await readMigrations()));
  });
  afterEach(async () => {
    await database.dispose();
  });

  it("writes and reads related rows, enums, JSON, arrays and BigInt", async () => {
    const db = createPrismaClient(database.target);
    try {
      const team = await db.team.create({ data: { slug: "ml", name: "Machine Learning" } });
      const user = await db.user.create({
        data: { email: "ada@example.com", memberships: { create: { teamId: team.id, role: "ADMIN" } } },
      });
      const template = await db.template.create({
        data: { slug: "python", name: "Python", tags: ["python", "data"], versions: { create: { version: 1, spec: { image: "python:3.12" } } } },
        include: { versions: true },
      });
      const workspace = await db.workspace.create({
        data: {
          name: "notebook",
          ownerId: user.id,
          teamId: team.id,
          templateVersionId: template.versions[0]!.id,
          parameters: { cpu: 2, memoryGiB: 4 },
        },
      });
      await db.usageDailyRollup.create({
        data: { day: new Date("2026-11-01"), workspaceId: workspace.id, teamId: team.id, userId: user.id, templateId: template.id, cpuMillicoreSeconds: 2n ** 40n },
      });

      const found = await db.workspace.findFirstOrThrow({
        where: { owner: { email: "ada@example.com" } },
        include: { team: true, templateVersion: { include: { template: true } } },
      });
      expect(found).toMatchObject({
        state: "PENDING",
        desiredState: "RUNNING",
        parameters: { cpu: 2, memoryGiB: 4 },
        team: { slug: "ml" },
        templateVersion: { version: 1, spec: { image: "python:3.12" }, template: { tags: ["python", "data"] } },
      });
      const rollup = await db.usageDailyRollup.findFirstOrThrow();
      expect(rollup.cpuMillicoreSeconds).toBe(2n ** 40n);
      await expect(db.team.create({ data: { slug: "ml", name: "Duplicate" } })).rejects.toThrow(/Unique constraint/);
    } finally {
      await db.$disconnect();
    }
  });
});

describe("the embedded database", () => {
  it("keeps its data after it is closed and opened again", async () => {
    const database = await freshDatabase("pglite");
    try {
      await withSqlSession(database.target, async (session) => migrate(session, await readMigrations()));
      const first = createPrismaClient(database.target);
      await first.team.create({ data: { slug: "platform", name: "Platform" } });
      await first.$disconnect();
      if (database.target.kind === "pglite") await closePglite(database.target.dir);

      const second = createPrismaClient(database.target);
      expect(await second.team.findUnique({ where: { slug: "platform" } })).toMatchObject({ name: "Platform" });
      await second.$disconnect();
    } finally {
      await database.dispose();
    }
  });
});
