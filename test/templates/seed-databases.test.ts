import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPrismaClient } from "@/lib/db/client";
import { migrate, readMigrations } from "@/lib/db/migrate";
import { withSqlSession } from "@/lib/db/sql";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { loadBuiltInTemplates, seedBuiltInTemplates } from "@/lib/templates/seed";
import { backends, freshDatabase, type TestDatabase } from "../helpers/databases";

// Seeding as server.ts runs it at startup, on both kinds of database, and
// from several processes at once (PostgreSQL: separate connection pools).

async function counts(db: PrismaClient) {
  return {
    templates: await db.template.count(),
    versions: await db.templateVersion.count(),
    audit: await db.auditLog.count({ where: { targetType: "template" } }),
  };
}

describe.each(backends)("seeding the built-in templates on %s", (backend) => {
  let database: TestDatabase;
  const clients: PrismaClient[] = [];
  const client = () => {
    const db = createPrismaClient(database.target);
    clients.push(db);
    return db;
  };

  beforeEach(async () => {
    database = await freshDatabase(backend);
    await withSqlSession(database.target, async (session) => migrate(session, await readMigrations()));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((db) => db.$disconnect()));
    await database.dispose();
  });

  it("is idempotent and versions only a changed file", async () => {
    const db = client();
    expect((await seedBuiltInTemplates(db)).created).toHaveLength(4);
    expect((await seedBuiltInTemplates(db)).unchanged).toHaveLength(4);
    expect(await counts(db)).toEqual({ templates: 4, versions: 4, audit: 4 });

    const templates = await loadBuiltInTemplates();
    const changed = templates.map((t) => (t.spec.slug === "go" ? { ...t, spec: { ...t.spec, description: "Go, revised" } } : t));
    expect(await seedBuiltInTemplates(db, { templates: changed })).toMatchObject({ updated: ["go"], created: [] });
    expect(await counts(db)).toEqual({ templates: 4, versions: 5, audit: 5 });
    expect(await db.template.findUniqueOrThrow({ where: { slug: "go" } })).toMatchObject({ description: "Go, revised" });
  });

  it.runIf(backend === "postgres")("creates one set when several processes seed at once", async () => {
    const processes = [client(), client(), client()];
    const results = await Promise.all(processes.map((db) => seedBuiltInTemplates(db)));
    expect(results.flatMap((r) => r.created).sort()).toEqual(["go", "node", "python", "universal"]);
    expect(results.flatMap((r) => r.unchanged)).toHaveLength(8);
    expect(await counts(processes[0]!)).toEqual({ templates: 4, versions: 4, audit: 4 });
  });
});
