import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { currentLeader } from "@/lib/server/leader";
import { sample } from "../test/helpers/metrics-text";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { startPodspace, type PodspaceProcess } from "./harness";
import { METRICS_TOKEN, scrapeMetrics } from "./replicas";

// Two replicas on one PostgreSQL database: exactly one runs the background
// loops, and when it is killed with SIGKILL the other takes over within 15 s.

/** The replica id a server logged in its ready line. */
function replicaId(podspace: PodspaceProcess): string {
  const ready = podspace
    .output()
    .split("\n")
    .find((line) => line.includes("podspace: ready on"));
  return (JSON.parse(ready!) as { replica: string }).replica;
}

const leads = async (podspace: PodspaceProcess) => sample(await scrapeMetrics(podspace.url), "podspace_leader");

describe("leader election across replicas", { timeout: 180_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const replicas: PodspaceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await database?.drop();
  });

  it("runs the loops on exactly one replica and moves them within 15 s of a kill -9", async () => {
    const env = { DATABASE_URL: database.url, PODSPACE_METRICS_TOKEN: METRICS_TOKEN };
    replicas.push(...(await Promise.all([startPodspace({ env }), startPodspace({ env })])));

    // Exactly one leads, and the lock's holder (as /admin/health names it) is that one.
    await expect.poll(async () => (await Promise.all(replicas.map(leads))).sort(), { timeout: 15_000 }).toEqual([0, 1]);
    const values = await Promise.all(replicas.map(leads));
    const leader = replicas[values.indexOf(1)]!;
    const follower = replicas[values.indexOf(0)]!;
    expect(await currentLeader({ kind: "postgres", url: database.url })).toBe(replicaId(leader));
    // Only the leader runs the reconcile loop, so only it reports that loop's lag.
    await expect.poll(async () => sample(await scrapeMetrics(leader.url), "podspace_loop_lag_seconds", { loop: "reconcile" }), { timeout: 15_000 }).toBeDefined();
    expect(sample(await scrapeMetrics(follower.url), "podspace_loop_lag_seconds", { loop: "reconcile" })).toBeUndefined();

    expect((await leader.stop("SIGKILL")).code).toBeNull();
    const killedAt = Date.now();
    await expect.poll(() => leads(follower), { timeout: 15_000, interval: 100 }).toBe(1);
    const tookOverMs = Date.now() - killedAt;
    console.log(`leadership moved ${tookOverMs} ms after the leader's SIGKILL`);

    expect(await currentLeader({ kind: "postgres", url: database.url })).toBe(replicaId(follower));
    expect(follower.output()).toContain("elected leader");
    await expect.poll(async () => sample(await scrapeMetrics(follower.url), "podspace_loop_lag_seconds", { loop: "reconcile" }), { timeout: 15_000 }).toBeDefined();
  });
});
