import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { currentLeader, electLeader, type Leadership } from "@/lib/server/leader";
import { createTestDatabase } from "../helpers/postgres-setup";

// Leadership over a real PostgreSQL: one leader at a time, a quick
// hand-over when the leader's connection dies, and each database on a server
// with a leader of its own.

describe("leader election", { timeout: 30_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
  });
  afterAll(async () => {
    await database?.drop();
  });

  function candidate(name: string, log: string[], url = database.url): Leadership {
    return electLeader(
      { kind: "postgres", url },
      { onElected: () => log.push(`${name} elected`), onDemoted: async () => void log.push(`${name} demoted`) },
      { retryMs: 200, replicaId: name },
    );
  }

  it("elects exactly one of two replicas, and hands over when the leader's connection dies", async () => {
    const log: string[] = [];
    const first = candidate("first", log);
    await expect.poll(() => log).toEqual(["first elected"]);
    const second = candidate("second", log);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(log).toEqual(["first elected"]);

    // Kill the leader's session the way a crashed process loses it (this database's: other tests run on the server).
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    await admin.end();

    await expect.poll(() => log, { timeout: 10_000 }).toEqual(expect.arrayContaining(["first demoted", "second elected"]));
    await first.stop();
    await second.stop();
    expect(log.at(-1)).toBe("second demoted");
  });

  it("names the leader of its own database, not another installation's on the same server", async () => {
    const other = await createTestDatabase(inject("postgresAdminUrl"));
    const log: string[] = [];
    try {
      const here = candidate("here", log);
      await expect.poll(() => log).toEqual(["here elected"]);
      expect(await currentLeader({ kind: "postgres", url: other.url })).toBeNull();

      const there = candidate("there", log, other.url);
      await expect.poll(() => log).toEqual(["here elected", "there elected"]);
      expect(await currentLeader({ kind: "postgres", url: database.url })).toBe("here");
      expect(await currentLeader({ kind: "postgres", url: other.url })).toBe("there");
      await here.stop();
      await there.stop();
    } finally {
      await other.drop();
    }
  });

  it("always elects the single process that owns an embedded database", async () => {
    const log: string[] = [];
    const embedded = electLeader({ kind: "pglite", dir: "/unused" }, { onElected: () => log.push("embedded elected"), onDemoted: async () => {} });
    await embedded.stop();
    expect(log).toContain("embedded elected");
  });
});
