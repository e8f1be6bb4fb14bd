import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { electLeader, type Leadership } from "@/lib/server/leader";
import { createTestDatabase } from "../helpers/postgres-setup";

// Leadership over a real PostgreSQL: one leader at a time, and a quick
// hand-over when the leader's connection dies.

describe("leader election", { timeout: 30_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
  });
  afterAll(async () => {
    await database?.drop();
  });

  function candidate(name: string, log: string[]): Leadership {
    return electLeader(
      { kind: "postgres", url: database.url },
      { onElected: () => log.push(`${name} elected`), onDemoted: async () => void log.push(`${name} demoted`) },
      { retryMs: 200 },
    );
  }

  it("elects exactly one of two replicas, and hands over when the leader's connection dies", async () => {
    const log: string[] = [];
    const first = candidate("first", log);
    await expect.poll(() => log).toEqual(["first elected"]);
    const second = candidate("second", log);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(log).toEqual(["first elected"]);

    // Kill the leader's session the way a crashed process loses it.
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`,
    );
    await admin.end();

    await expect.poll(() => log, { timeout: 10_000 }).toEqual(expect.arrayContaining(["first demoted", "second elected"]));
    await first.stop();
    await second.stop();
    expect(log.at(-1)).toBe("second demoted");
  });

  it("always elects the single process that owns an embedded database", async () => {
    const log: string[] = [];
    const embedded = electLeader({ kind: "pglite", dir: "/unused" }, { onElected: () => log.push("embedded elected"), onDemoted: async () => {} });
    await embedded.stop();
    expect(log).toContain("embedded elected");
  });
});
