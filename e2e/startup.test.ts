import net from "node:net";
import path from "node:path";
import { Client } from "pg";
import { describe, expect, inject, it } from "vitest";
import { createPrismaClient } from "@/lib/db/client";
import { readMigrations } from "@/lib/db/migrate";
import { closePglite } from "@/lib/db/pglite";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { startPodspace, startPodspaceExpectingFailure } from "./harness";

/** The lines the server printed, without Node's own warnings. */
const linesOf = (output: string) =>
  output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .filter((line) => !/^\(node:\d+\)|--trace-warnings/.test(line));

describe("startup refuses bad configuration with one line naming the setting", () => {
  it.each([
    ["PORT", { PORT: "eighty" }, /^podspace: invalid setting PORT: expected an integer from 1 to 65535, got "eighty"$/],
    ["DATABASE_URL", { DATABASE_URL: "mysql://root@localhost/podspace" }, /^podspace: invalid setting DATABASE_URL: expected a postgresql:\/\//],
    [
      "a PODSPACE_URL whose host can't have IDE origins",
      { PODSPACE_URL: "http://localhost:3000" },
      /^podspace: invalid setting PODSPACE_URL: localhost can't give each workspace's IDE an origin of its own .* http:\/\/podspace\.localhost:3000 .* same-origin/,
    ],
    [
      "an unreachable DATABASE_URL",
      { PORT: "3999", DATABASE_URL: "postgresql://podspace:s3cret@127.0.0.1:1/podspace" },
      /^podspace: DATABASE_URL: cannot connect to postgresql:\/\/podspace:\*\*\*@127\.0\.0\.1:1\/podspace \(ECONNREFUSED/,
    ],
  ])("%s", async (_name, env, message) => {
    const { code, output } = await startPodspaceExpectingFailure(env);
    expect(code).toBe(1);
    const lines = linesOf(output);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(output).not.toContain("s3cret");
  });

  it("a PORT already in use", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const { code, output } = await startPodspaceExpectingFailure({ PORT: String(port) });
      expect(code).toBe(1);
      expect(linesOf(output).at(-1)).toBe(`podspace: PORT: cannot listen on ${port} (already in use)`);
    } finally {
      blocker.close();
    }
  });

  it("a database where the migration history names a failed migration, leaving the schema untouched", async () => {
    const database = await createTestDatabase(inject("postgresAdminUrl"));
    try {
      const setup = new Client({ connectionString: database.url });
      await setup.connect();
      await setup.query(`CREATE TABLE "_prisma_migrations" (id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL,
        finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
      await setup.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('x', 'y', '20200101000000_broken')`);
      const { code, output } = await startPodspaceExpectingFailure({ DATABASE_URL: database.url });
      expect(code).toBe(1);
      expect(linesOf(output)).toEqual([expect.stringMatching(/^podspace: Migration "20200101000000_broken" is recorded as failed/)]);
      const { rows } = await setup.query(`SELECT to_regclass('"User"') IS NULL AS untouched`);
      expect(rows[0].untouched).toBe(true);
      await setup.end();
    } finally {
      await database.drop();
    }
  });
});

describe("the embedded database across restarts", () => {
  it("keeps data written between runs and stops cleanly on SIGTERM", async () => {
    const first = await startPodspace();
    expect(first.output()).toContain("applied migrations");
    const stopped = await first.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);

    const target = { kind: "pglite" as const, dir: path.join(first.dataDir, "db") };
    const writer = createPrismaClient(target);
    await writer.team.create({ data: { slug: "survivors", name: "Survivors" } });
    await writer.$disconnect();
    await closePglite(target.dir);

    const second = await startPodspace({ dataDir: first.dataDir });
    expect(second.output()).not.toContain("applied migrations");
    expect(await (await fetch(`${second.url}/api/ready`)).json()).toMatchObject({ status: "ready" });
    expect((await second.stop("SIGINT")).code).toBe(0);

    const reader = createPrismaClient(target);
    expect(await reader.team.findUnique({ where: { slug: "survivors" } })).toMatchObject({ name: "Survivors" });
    await reader.$disconnect();
    await closePglite(target.dir);
  });
});

describe("two instances starting at once against one PostgreSQL database", () => {
  it("both come up and each migration is recorded once", async () => {
    const database = await createTestDatabase(inject("postgresAdminUrl"));
    try {
      const instances = await Promise.all([
        startPodspace({ env: { DATABASE_URL: database.url } }),
        startPodspace({ env: { DATABASE_URL: database.url } }),
      ]);
      for (const instance of instances) {
        const ready = await fetch(`${instance.url}/api/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({ database: { kind: "postgres", ok: true } });
      }
      expect(instances.filter((instance) => instance.output().includes("applied migrations"))).toHaveLength(1);
      await Promise.all(instances.map((instance) => instance.stop()));

      const client = new Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query(
        "SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY migration_name ORDER BY migration_name",
      );
      await client.end();
      expect(rows).toEqual((await readMigrations()).map((m) => ({ migration_name: m.name, n: 1 })));
    } finally {
      await database.drop();
    }
  });
});
