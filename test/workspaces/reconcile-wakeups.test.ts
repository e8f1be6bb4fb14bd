import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import { RuntimeError, type ObservedStatus, type WorkspaceRuntime, type WorkspaceSpec } from "@/lib/runtime/types";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { RECONCILE_WAKEUP_CHANNEL, reconcileWakeups } from "@/lib/workspaces/reconcile-wakeups";
import { createFleetOwner, seedWorkspaces } from "../helpers/fleet";
import { actorFor } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";
import { TEST_SHARED_PATHS } from "../runtime/contract";

// What makes the leader's reconciler act between its periodic passes, on a
// real PostgreSQL: a user's change recorded on a replica that isn't the
// leader, after the connection it listens on was cut too, and a retry whose
// backoff is over. The periodic pass comes once an hour here, so a workspace
// converging without a pass in between has only the mechanism under test to
// thank. No reconciler is registered in this file (registerReconciler), so
// operateWorkspace's request takes the way of a replica that isn't the
// leader: a notification through PostgreSQL.

const database = usePostgresAppDatabase();

const HOUR_MS = 3_600_000;

describe("waking the reconciler between its passes", { timeout: 60_000 }, () => {
  let dataDir: string;
  let local: WorkspaceRuntime;
  let reconciler: Reconciler;
  let owner: Awaited<ReturnType<typeof createFleetOwner>>;
  let actor: CurrentUser;
  /** Periodic passes so far: each begins with the runtime's list. */
  let passes = 0;
  /** Times the reconciler's LISTEN was in place. */
  let listenings = 0;
  /** Wake-ups heard, by workspace. */
  const heard = new Map<string, number>();
  /** Runs first in each runtime.status: a test's way to make it wait or fail. */
  let statusOf: (spec: WorkspaceSpec) => Promise<ObservedStatus | void> = async () => {};

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-wakeups-"));
    local = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    const runtime: WorkspaceRuntime = {
      ...local,
      async listActive() {
        passes += 1;
        return local.listActive();
      },
      async status(spec) {
        return (await statusOf(spec)) ?? local.status(spec);
      },
    };
    const listen = reconcileWakeups({ kind: "postgres", url: database.url() })!;
    reconciler = createReconciler(runtime, {
      intervalMs: HOUR_MS,
      retryDelayMs: 200,
      wakeups: (handlers) =>
        listen({
          onWakeup(workspaceId) {
            heard.set(workspaceId, (heard.get(workspaceId) ?? 0) + 1);
            handlers.onWakeup(workspaceId);
          },
          onListening() {
            listenings += 1;
            handlers.onListening();
          },
        }),
    });
    owner = await createFleetOwner("wakeups");
    actor = await actorFor({ id: owner.ownerId });
    reconciler.start();
    await vi.waitFor(() => expect(listenings).toBe(1), { timeout: 10_000 });
    // Queued behind the passes at start and at listening, so they are over.
    await reconciler.reconcileAll();
  });
  afterAll(async () => {
    await reconciler?.stop();
    await local?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const stateOf = async (id: string) => (await getDb().workspace.findUniqueOrThrow({ where: { id } })).state;
  const deleteAsUser = (id: string, name: string) => operateWorkspace(actor, { workspaceId: id, operation: "delete", confirmName: name });
  /** A connection of its own that only notifies, as another replica would. */
  async function notifyingReplica() {
    const client = new Client({ connectionString: database.url() });
    await client.connect();
    return {
      notify: (workspaceId: string) => client.query("SELECT pg_notify($1, $2)", [RECONCILE_WAKEUP_CHANNEL, workspaceId]),
      close: () => client.end(),
    };
  }

  it("reconciles a workspace a user changed on another replica, woken through PostgreSQL", async () => {
    await seedWorkspaces(owner, "asked", 1, "STOPPED", "STOPPED");
    const passesBefore = passes;
    await deleteAsUser("asked1", "asked-1");
    await expect.poll(() => stateOf("asked1"), { timeout: 20_000 }).toBe("DELETED");
    expect(passes).toBe(passesBefore);
  });

  it("answers a burst of wake-ups for a workspace being reconciled with one more reconcile, not one each", async () => {
    await seedWorkspaces(owner, "burst", 1, "STOPPED", "STOPPED");
    let asked = 0;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    statusOf = async (spec) => {
      if (spec.id === "burst1" && ++asked === 1) await released;
    };
    const replica = await notifyingReplica();
    try {
      await replica.notify("burst1");
      await expect.poll(() => asked).toBe(1);
      // One transaction each: PostgreSQL folds identical notifications within one.
      for (let n = 0; n < 20; n++) await replica.notify("burst1");
      await expect.poll(() => heard.get("burst1")).toBe(21);
    } finally {
      release();
      await replica.close();
    }
    await expect.poll(() => asked).toBe(2);
    // A request after that second reconcile began is the third, so none other came between.
    await reconciler.reconcile("burst1");
    statusOf = async () => {};
    expect(asked).toBe(3);
  });

  it("listens again when its connection is cut, runs a full pass for what it missed, and hears the next wake-up", async () => {
    await seedWorkspaces(owner, "cut", 2, "STOPPED", "STOPPED");
    const passesBefore = passes;
    const admin = new Client({ connectionString: database.url() });
    await admin.connect();
    const terminated = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'podspace reconcile wakeups' AND datname = current_database()`,
    );
    await admin.end();
    expect(terminated.rowCount).toBe(1);
    // Most likely unheard, sent while nobody listens: the pass after the reconnect takes it up.
    await deleteAsUser("cut1", "cut-1");

    await expect.poll(() => listenings, { timeout: 20_000 }).toBe(2);
    await expect.poll(() => stateOf("cut1"), { timeout: 20_000 }).toBe("DELETED");
    // With an hour between periodic passes, only the reconnect explains a pass.
    expect(passes).toBe(passesBefore + 1);

    await reconciler.reconcileAll();
    const passesAfter = passes;
    await deleteAsUser("cut2", "cut-2");
    await expect.poll(() => stateOf("cut2"), { timeout: 20_000 }).toBe("DELETED");
    expect(passes).toBe(passesAfter);
  });

  it("retries a workspace that failed on infrastructure once its backoff is over, with no pass due", async () => {
    await seedWorkspaces(owner, "flaky", 1, "STOPPING", "STOPPED");
    let failures = 0;
    statusOf = async (spec) => {
      if (spec.id === "flaky1" && ++failures === 1) throw new RuntimeError("unavailable", "Could not read Pod: the Kubernetes API answered 503");
    };
    const passesBefore = passes;
    await reconciler.reconcile("flaky1");
    expect(await stateOf("flaky1")).toBe("STOPPING");

    await expect.poll(() => stateOf("flaky1"), { timeout: 20_000 }).toBe("STOPPED");
    statusOf = async () => {};
    expect(failures).toBe(2);
    expect(passes).toBe(passesBefore);
  });
});
