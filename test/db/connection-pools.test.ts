import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackgroundDb, getDb } from "@/lib/db/client";
import { checkReadiness, POOL_TIMEOUT_MS } from "@/lib/db/readiness";
import { env } from "@/lib/env";
import { metrics } from "@/lib/observability/metrics";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createUsageLoop } from "@/lib/usage/usage-loop";
import { createPolicyLoop } from "@/lib/workspaces/policy-loop";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { holdAllConnections } from "../helpers/busy-pool";
import { createFleetOwner, seedWorkspaces, type FleetOwner } from "../helpers/fleet";
import { sample } from "../helpers/metrics-text";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";
import { TEST_SHARED_PATHS } from "../runtime/contract";

// Pages and background work on PostgreSQL, each with a pool of its own: a
// burst of pages holding every pages connection stops neither the reconciler
// nor the loops, background work holding all of its connections leaves pages
// answering, and readiness fails, saying why, while the pages' pool can't
// serve.

const database = usePostgresAppDatabase();
const target = () => ({ kind: "postgres" as const, url: database.url() });
const DAY_MS = 24 * 60 * 60 * 1000;

const holdPagesPool = () => holdAllConnections(getDb(), env.PODSPACE_DB_POOL_SIZE);
const holdBackgroundPool = () => holdAllConnections(getBackgroundDb(), env.PODSPACE_DB_BACKGROUND_POOL_SIZE);
/** What /api/metrics serves. */
const scrape = () => metrics.registry.metrics();

describe("the pages' and the background database pools", () => {
  let dataDir: string;
  let runtime: WorkspaceRuntime;
  let reconciler: Reconciler;
  let owner: FleetOwner;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-pools-"));
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    reconciler = createReconciler(runtime);
    owner = await createFleetOwner("pools");
  });
  afterAll(async () => {
    await reconciler?.stop();
    await runtime?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("makes readiness fail with the pool's reason while every pages connection is busy, and pass once they free up", async () => {
    expect(await checkReadiness(target(), getDb())).toMatchObject({ status: "ready", pool: { ok: true } });

    const busy = await holdPagesPool();
    const whileBusy = await checkReadiness(target(), getDb());
    await busy.release();

    // A fresh connection still gets answers: only asking the pool tells.
    expect(whileBusy).toMatchObject({ status: "unavailable", database: { ok: true }, migrations: { pending: [] } });
    const size = env.PODSPACE_DB_POOL_SIZE;
    expect(whileBusy.pool).toEqual({
      ok: false,
      error: `pages' database pool: no answer within ${POOL_TIMEOUT_MS} ms (${size} of ${size} connections in use, 1 waiting)`,
    });
    expect(await checkReadiness(target(), getDb())).toMatchObject({ status: "ready", pool: { ok: true } });
  });

  it("runs reconcile, lifecycle and usage passes while every pages connection is busy", async () => {
    await seedWorkspaces(owner, "stopping", 1, "STOPPING", "STOPPED");
    await seedWorkspaces(owner, "forgotten", 1, "STOPPED", "STOPPED");
    await getDb().workspace.update({ where: { id: "forgotten1" }, data: { stoppedAt: new Date(Date.now() - 31 * DAY_MS) } });

    const busy = await holdPagesPool();
    try {
      await reconciler.reconcileAll();
      const lifecycle = await createPolicyLoop({ dormancy: { dormantAfterDays: 30, deleteAfterDays: null } }).runOnce();
      const usage = await createUsageLoop().runOnce();
      expect(lifecycle).toMatchObject([{ workspaceId: "forgotten1", action: "mark-dormant" }]);
      expect(usage.repaired).toBeGreaterThan(0);
    } finally {
      await busy.release();
    }

    expect((await getDb().workspace.findUniqueOrThrow({ where: { id: "stopping1" } })).state).toBe("STOPPED");
    const storage = await getDb().usageInterval.findMany({ where: { kind: "STORAGE", endedAt: null }, orderBy: { workspaceId: "asc" } });
    expect(storage.map((interval) => interval.workspaceId)).toEqual(["forgotten1", "stopping1"]);
  });

  it("answers pages while background work holds every background connection", async () => {
    const busy = await holdBackgroundPool();
    try {
      expect(await getDb().team.findUnique({ where: { slug: "pools" } })).toMatchObject({ slug: "pools" });
      expect(await checkReadiness(target(), getDb())).toMatchObject({ status: "ready" });
    } finally {
      await busy.release();
    }
  });

  it("reports each pool's connections in use and idle, the requests waiting, and every wait", async () => {
    const waitsBefore = sample(await scrape(), "podspace_db_pool_wait_seconds_count", { pool: "pages" }) ?? 0;
    const busy = await holdPagesPool();
    // A page's query, sent now (Prisma sends a query once it is then'd), that waits for a connection.
    const page = getDb()
      .team.count()
      .then((teams) => teams);
    await expect.poll(async () => sample(await scrape(), "podspace_db_pool_waiting_requests", { pool: "pages" })).toBe(1);
    const whileBusy = await scrape();
    await busy.release();
    expect(await page).toBe(1);

    expect(sample(whileBusy, "podspace_db_pool_connections", { pool: "pages", state: "in_use" })).toBe(env.PODSPACE_DB_POOL_SIZE);
    expect(sample(whileBusy, "podspace_db_pool_connections", { pool: "pages", state: "idle" })).toBe(0);
    // The scrape counted workspaces through the background pool, which nothing held.
    expect(sample(whileBusy, "podspace_db_pool_waiting_requests", { pool: "background" })).toBe(0);
    const after = await scrape();
    // One wait for each holder's transaction, and one for the page's query.
    expect(sample(after, "podspace_db_pool_wait_seconds_count", { pool: "pages" })).toBe(waitsBefore + env.PODSPACE_DB_POOL_SIZE + 1);
    expect(sample(after, "podspace_db_pool_wait_seconds_count", { pool: "background" })).toBeGreaterThan(0);
    expect(sample(after, "podspace_db_pool_waiting_requests", { pool: "pages" })).toBe(0);
  });
});
