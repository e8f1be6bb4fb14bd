import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import type { WorkspaceState } from "@/lib/generated/prisma/enums";
import { metrics } from "@/lib/observability/metrics";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { useAppDatabase } from "../helpers/app-database";
import { createTeamWith, createUser } from "../helpers/identity";
import { contractSpec, TEST_SHARED_PATHS } from "../runtime/contract";
import { endLocalWorkspaces } from "../helpers/local-workspaces";
import { TEST_TEMPLATE } from "../helpers/test-template";

// The reconciler against a real database and the real local runtime.

useAppDatabase();

describe("reconciling workspaces on the local runtime", { timeout: 60_000 }, () => {
  let dataDir: string;
  let runtime: WorkspaceRuntime;
  let reconciler: Reconciler;
  let fixtures: { ownerId: string; teamId: string; templateVersionId: string };

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-reconcile-"));
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    reconciler = createReconciler(runtime, { intervalMs: 300 });
    reconciler.start();
    const owner = await createUser("owner@reconcile.test");
    const team = await createTeamWith("reconcile", [[owner, "OWNER"]]);
    const template = await getDb().template.create({
      data: { slug: "test", name: "Test", versions: { create: { version: 1, spec: TEST_TEMPLATE as object } } },
      include: { versions: true },
    });
    fixtures = { ownerId: owner.id, teamId: team.id, templateVersionId: template.versions[0]!.id };
  });
  afterAll(async () => {
    await reconciler?.stop();
    await runtime?.close();
    await endLocalWorkspaces(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const createWorkspace = (name: string) =>
    getDb().workspace.create({
      data: { name, ...fixtures, parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} } },
    });
  const stateOf = async (id: string) => (await getDb().workspace.findUniqueOrThrow({ where: { id } })).state;
  const waitFor = (id: string, state: WorkspaceState) => expect.poll(() => stateOf(id), { timeout: 30_000, interval: 100 }).toBe(state);
  const homeOf = (id: string) => path.join(dataDir, "workspaces", id);

  it("takes a new workspace to RUNNING, recording each step with its timing from the request on", async () => {
    const requestedAt = new Date(Date.now() - 5_000);
    const workspace = await getDb().workspace.create({
      data: { name: "first", ...fixtures, parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} }, startRequestedAt: requestedAt },
    });
    await reconciler.reconcile(workspace.id);
    await waitFor(workspace.id, "RUNNING");
    // The IDE comes up while the workspace runs.
    const eventsOf = () => getDb().workspaceEvent.findMany({ where: { workspaceId: workspace.id }, orderBy: { createdAt: "asc" } });
    await expect.poll(async () => (await eventsOf()).map((event) => event.step), { timeout: 30_000 }).toContain("ready");

    const events = await eventsOf();
    const steps = events.map((event) => event.step);
    expect(steps).toEqual(expect.arrayContaining(["state", "submitted", "volume", "scheduling", "shell", "ide", "ready"]));
    expect(events.find((event) => event.step === "ready")?.durationMs).toBeGreaterThanOrEqual(0);
    // The start's budget begins at the request: the first step counts the time before the reconciler took it up.
    const submitted = events.find((event) => event.step === "submitted")!;
    expect(submitted.durationMs).toBeGreaterThanOrEqual(5_000);
    expect(submitted.durationMs).toBeLessThanOrEqual(submitted.createdAt.getTime() - requestedAt.getTime() + 1);
    // …and each step's time is exported for dashboards.
    const exported = await metrics.registry.getSingleMetricAsString("podspace_workspace_start_step_seconds");
    for (const step of ["submitted", "shell", "ready"]) expect(exported).toMatch(new RegExp(`podspace_workspace_start_step_seconds_count\\{step="${step}"\\} [1-9]`));
    expect(events.filter((event) => event.step === "state").map((event) => (event.data as { to: string }).to)).toEqual(["STARTING", "RUNNING"]);
  });

  it("stops keeping the home directory, and starts again", async () => {
    const workspace = await createWorkspace("second");
    await reconciler.reconcile(workspace.id);
    await waitFor(workspace.id, "RUNNING");
    await fs.writeFile(path.join(homeOf(workspace.id), "notes.txt"), "kept");

    await getDb().workspace.update({ where: { id: workspace.id }, data: { desiredState: "STOPPED" } });
    await reconciler.reconcile(workspace.id);
    expect(await stateOf(workspace.id)).toBe("STOPPED");
    expect((await runtime.status({ ...contractSpec(workspace.id) })).state).toBe("stopped");

    await getDb().workspace.update({ where: { id: workspace.id }, data: { desiredState: "RUNNING" } });
    await reconciler.reconcile(workspace.id);
    await waitFor(workspace.id, "RUNNING");
    expect(await fs.readFile(path.join(homeOf(workspace.id), "notes.txt"), "utf8")).toBe("kept");
  });

  it("marks a crashed workspace FAILED with the reason, and a retry brings it back", async () => {
    const workspace = await createWorkspace("third");
    await reconciler.reconcile(workspace.id);
    await waitFor(workspace.id, "RUNNING");
    const record = JSON.parse(await fs.readFile(path.join(dataDir, "runtime", "local", `${workspace.id}.json`), "utf8")) as { pid: number };
    process.kill(-record.pid, "SIGKILL");

    await waitFor(workspace.id, "FAILED");
    expect((await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id } })).stateReason).toBe("crashed");
    // The runtime's truth ended its compute usage; its volume is still held.
    const usage = () => getDb().usageInterval.findMany({ where: { workspaceId: workspace.id }, orderBy: { startedAt: "asc" } });
    const open = (kind: string, intervals: Awaited<ReturnType<typeof usage>>) => intervals.filter((i) => i.kind === kind).map((i) => i.endedAt === null);
    expect(open("COMPUTE", await usage())).toEqual([false]);
    expect(open("STORAGE", await usage())).toEqual([true]);

    // Retrying is a move back to PENDING; the loop does the rest.
    await getDb().workspace.update({ where: { id: workspace.id }, data: { state: "PENDING" } });
    await waitFor(workspace.id, "RUNNING");
    expect(open("COMPUTE", await usage())).toEqual([false, true]);
  });

  it("converges a workspace left STARTING by a crashed Podspace, without a second IDE", async () => {
    const workspace = await createWorkspace("fourth");
    await getDb().workspace.update({ where: { id: workspace.id }, data: { state: "STARTING" } });
    await waitFor(workspace.id, "RUNNING");

    // A new Podspace process (new runtime, new reconciler) finds it running.
    const restarted = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    const second = createReconciler(restarted);
    await second.reconcile(workspace.id);
    expect(await stateOf(workspace.id)).toBe("RUNNING");
    await restarted.close();
  });

  it("deletes a workspace and its home", async () => {
    const workspace = await createWorkspace("fifth");
    await reconciler.reconcile(workspace.id);
    await waitFor(workspace.id, "RUNNING");
    await getDb().workspace.update({ where: { id: workspace.id }, data: { desiredState: "DELETED" } });
    await reconciler.reconcile(workspace.id);
    const deleted = await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id } });
    expect(deleted).toMatchObject({ state: "DELETED", deletedAt: expect.any(Date) });
    await expect(fs.access(homeOf(workspace.id))).rejects.toThrow();
  });
});
