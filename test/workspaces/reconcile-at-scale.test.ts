import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackgroundDb, getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { metrics } from "@/lib/observability/metrics";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import { RuntimeError, type ObservedStatus, type RuntimeEvent, type WorkspaceRuntime, type WorkspaceSpec } from "@/lib/runtime/types";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { holdAllConnections } from "../helpers/busy-pool";
import { createFleetOwner, seedWorkspaces, type FleetOwner } from "../helpers/fleet";
import { usePostgresAppDatabaseCounting } from "../helpers/query-counter";
import { TEST_SHARED_PATHS } from "../runtime/contract";

// The reconcile loop against a fleet of workspaces on PostgreSQL, whose
// background pool a busy leader exhausts: a pass, or a burst of runtime
// events, costs what changed, not the fleet, and a database or runtime API
// failure is never recorded as the workspace's.

/** The statements the background pool's client (the reconciler's) sent. */
const queries = usePostgresAppDatabaseCounting("background");
/** Every connection the reconciler could use, held by other background work. */
const holdBackgroundPool = () => holdAllConnections(getBackgroundDb(), env.PODSPACE_DB_BACKGROUND_POOL_SIZE);

const FLEET = 2_000;
/** Short, so a test can wait out a workspace's backoff after an infrastructure failure. */
const RETRY_DELAY_MS = 500;

describe("reconciling a large fleet on PostgreSQL", { timeout: 60_000 }, () => {
  let dataDir: string;
  let local: WorkspaceRuntime;
  let runtime: WorkspaceRuntime;
  let reconciler: Reconciler;
  let owner: FleetOwner;
  /**
   * Runs first in each runtime.status: a test's way to make the database busy
   * or the runtime fail at that moment, or to answer for the runtime.
   */
  let statusOf: (spec: WorkspaceSpec) => Promise<ObservedStatus | void> = async () => {};
  /** Workspaces the runtime lists besides the local runtime's own. */
  const listedToo = new Map<string, ObservedStatus>();
  const statusAsked: string[] = [];
  const stopped: string[] = [];
  const listings = { now: 0, most: 0 };
  /** The reconciler's watch while it is started, which the tests report runtime events to. */
  const watchers = new Set<(event: RuntimeEvent) => void>();

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-reconcile-scale-"));
    local = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    runtime = {
      ...local,
      async status(spec) {
        statusAsked.push(spec.id);
        return (await statusOf(spec)) ?? local.status(spec);
      },
      async listActive() {
        listings.most = Math.max(listings.most, ++listings.now);
        try {
          return new Map([...(await local.listActive()), ...listedToo]);
        } finally {
          listings.now -= 1;
        }
      },
      async stop(spec) {
        stopped.push(spec.id);
        await local.stop(spec);
      },
      watch(listener) {
        watchers.add(listener);
        const unwatch = local.watch(listener);
        return () => {
          watchers.delete(listener);
          unwatch();
        };
      },
    };
    reconciler = createReconciler(runtime, { retryDelayMs: RETRY_DELAY_MS });
    owner = await createFleetOwner("reconcile-scale");
    await seedWorkspaces(owner, "stopped", FLEET, "STOPPED", "STOPPED");
  });
  afterAll(async () => {
    await reconciler?.stop();
    await local?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const fleet = async () => ({
    states: await getDb().workspace.groupBy({ by: ["state"], _count: true, orderBy: { state: "asc" } }),
    events: await getDb().workspaceEvent.count(),
  });
  const eventsOf = (workspaceId: string) => getDb().workspaceEvent.findMany({ where: { workspaceId }, orderBy: { createdAt: "asc" } });
  const reconcileErrors = async () => (await metrics.reconcileErrors.get()).values[0]?.value ?? 0;

  it("leaves a stopped fleet alone while every connection is busy, and once they free up", async () => {
    const before = await fleet();
    expect(before).toEqual({ states: [{ state: "STOPPED", _count: FLEET }], events: 0 });

    const busy = await holdBackgroundPool();
    const passes = [reconciler.reconcileAll(), reconciler.reconcileAll(), reconciler.reconcileAll()];
    // Longer than a transaction waits for a connection (Prisma's maxWait, 2 s), where the old pass failed thousands at once.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await busy.release();
    await Promise.all(passes);

    expect(await fleet()).toEqual(before);
    // The passes queued behind each other instead of overlapping.
    expect(listings.most).toBe(1);
  });

  it("makes the same few queries for a pass with nothing to do, whatever the fleet's size", async () => {
    const queriesOfPass = async () => {
      const before = queries();
      await reconciler.reconcileAll();
      return queries() - before;
    };
    const atFleet = await queriesOfPass();
    await seedWorkspaces(owner, "more", FLEET, "STOPPED", "STOPPED");
    const atTwiceTheFleet = await queriesOfPass();
    // One: the query for the workspaces whose desired and observed states differ; none of them do.
    expect([atFleet, atTwiceTheFleet]).toEqual([1, 1]);
  });

  it("converges only what differs from the runtime's one list: a workspace it runs that should be stopped, one it lost", async () => {
    await seedWorkspaces(owner, "stray", 1, "STOPPED", "STOPPED");
    await seedWorkspaces(owner, "lost", 1, "RUNNING", "RUNNING");
    await seedWorkspaces(owner, "fine", 1, "RUNNING", "RUNNING");
    const running: ObservedStatus = { state: "running", message: "Running" };
    listedToo.set("stray1", running).set("fine1", running);
    statusOf = async (spec) => (spec.id === "lost1" ? { state: "failed", reason: "crashed", message: "The workspace's process is no longer running" } : running);
    statusAsked.length = 0;
    await reconciler.reconcileAll();
    statusOf = async () => {};
    // Stopped now; fine1 runs on, in both, for the rest of the file.
    listedToo.delete("stray1");

    // One status call each for the two that differ; none for the fleet, nor for the one running in both.
    expect(statusAsked.sort()).toEqual(["lost1", "stray1"]);
    expect(stopped).toEqual(["stray1"]);
    // Already STOPPED in the database: stopped in the runtime without a state change.
    expect(await eventsOf("stray1")).toEqual([]);
    expect(await getDb().workspace.findUniqueOrThrow({ where: { id: "lost1" } })).toMatchObject({ state: "FAILED", stateReason: "crashed" });
    expect((await getDb().workspace.findUniqueOrThrow({ where: { id: "fine1" } })).state).toBe("RUNNING");
  });

  it("leaves a workspace as it was when the database is too busy to record its move, and moves it on a later pass", async () => {
    await seedWorkspaces(owner, "stopping", 1, "STOPPING", "STOPPED");
    const errorsBefore = await reconcileErrors();
    // The database becomes busy between reading the workspace and recording its move.
    let busy: Awaited<ReturnType<typeof holdAllConnections>> | undefined;
    statusOf = async () => void (busy = await holdBackgroundPool());
    await reconciler.reconcileAll();
    statusOf = async () => {};
    await busy?.release();

    expect(busy).toBeDefined();
    expect(await getDb().workspace.findUniqueOrThrow({ where: { id: "stopping1" } })).toMatchObject({ state: "STOPPING", stateReason: null });
    expect(await eventsOf("stopping1")).toEqual([]);
    expect(await reconcileErrors()).toBe(errorsBefore + 1);

    // Backing off: the next pass leaves it for later.
    await reconciler.reconcileAll();
    expect((await getDb().workspace.findUniqueOrThrow({ where: { id: "stopping1" } })).state).toBe("STOPPING");
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    await reconciler.reconcileAll();
    expect((await getDb().workspace.findUniqueOrThrow({ where: { id: "stopping1" } })).state).toBe("STOPPED");
    expect((await eventsOf("stopping1")).map((event) => event.data)).toEqual([{ from: "STOPPING", to: "STOPPED" }]);
  });

  it("retries a workspace when the runtime's API is unavailable, and fails it only for what the runtime says is wrong with it", async () => {
    await seedWorkspaces(owner, "unreachable", 1, "STOPPING", "STOPPED");
    statusOf = () => Promise.reject(new RuntimeError("unavailable", "Could not read Pod: the Kubernetes API answered 503"));
    await reconciler.reconcile("unreachable1");
    await reconciler.reconcile("unreachable1");
    expect((await getDb().workspace.findUniqueOrThrow({ where: { id: "unreachable1" } })).state).toBe("STOPPING");
    // The owner sees why, once for the outage, not once per try.
    const unreachable = ["WARNING", "Could not read Pod: the Kubernetes API answered 503 Podspace keeps trying."];
    await expect.poll(async () => (await eventsOf("unreachable1")).map((event) => [event.level, event.message])).toEqual([unreachable]);

    statusOf = () => Promise.reject(new RuntimeError("invalid", "Kubernetes rejected it as invalid: bad image"));
    await reconciler.reconcile("unreachable1");
    statusOf = async () => {};
    expect(await getDb().workspace.findUniqueOrThrow({ where: { id: "unreachable1" } })).toMatchObject({ state: "FAILED", stateReason: "invalid" });
    expect((await eventsOf("unreachable1")).map((event) => [event.level, event.message])).toEqual([unreachable, ["ERROR", "Kubernetes rejected it as invalid: bad image"]]);
  });

  it("checks a burst of runtime events against the database in one query, and reconciles only the workspaces they disagree with", async () => {
    await seedWorkspaces(owner, "crashing", 1, "RUNNING", "RUNNING");
    const running: ObservedStatus = { state: "running", message: "Running" };
    const crashed: ObservedStatus = { state: "failed", reason: "crashed", message: "The workspace's process is no longer running" };
    listedToo.set("crashing1", running);
    const report = (workspaceId: string, status: ObservedStatus) => watchers.forEach((listener) => listener({ type: "status", workspaceId, status }));
    /** Starts the reconciler as a new leader does, waits out the pass that begins it, then reports `events`; returns the statements they cost. */
    async function asLeader(events: () => void): Promise<number> {
      reconciler.start();
      await reconciler.reconcileAll();
      statusAsked.length = 0;
      const before = queries();
      events();
      // Stopping waits for what the events set off.
      await reconciler.stop();
      return queries() - before;
    }

    // What the Kubernetes watch reports when it starts: every workspace with a pod or volume, each as the database has it.
    const statements = await asLeader(() => {
      for (let n = 1; n <= FLEET; n++) report(`stopped${n}`, { state: "stopped", message: "Stopped" });
      for (let n = 1; n <= FLEET; n++) report(`more${n}`, { state: "stopped", message: "Stopped" });
      report("fine1", running);
      report("crashing1", running);
    });
    expect(statements).toBe(1);
    expect(statusAsked).toEqual([]);

    // One that disagrees among them: reconciled, from the runtime's truth.
    statusOf = async (spec) => (spec.id === "crashing1" ? crashed : undefined);
    await asLeader(() => {
      report("stopped1", { state: "stopped", message: "Stopped" });
      report("crashing1", crashed);
    });
    statusOf = async () => {};
    listedToo.delete("crashing1");
    expect(statusAsked).toEqual(["crashing1"]);
    expect(await getDb().workspace.findUniqueOrThrow({ where: { id: "crashing1" } })).toMatchObject({ state: "FAILED", stateReason: "crashed" });
  });
});
