import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { useAppDatabase } from "../helpers/app-database";
import { createTeamWith, createUser } from "../helpers/identity";
import { endLocalWorkspaces } from "../helpers/local-workspaces";
import { TEST_SHARED_PATHS } from "../runtime/contract";
import { TEST_TEMPLATE } from "../helpers/test-template";

// A start is moved on by the runtime's event when the workspace is up. When
// that event is lost, the reconciler's own recheck of a workspace waiting on
// its runtime gets it there, long before the periodic pass (here: never).

useAppDatabase();

describe("a workspace waiting on its runtime", { timeout: 60_000 }, () => {
  let dataDir: string;
  let runtime: WorkspaceRuntime;
  let reconciler: Reconciler;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-recheck-"));
    const local = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    runtime = local;
    // The real local runtime, whose events all go missing.
    reconciler = createReconciler({ ...local, watch: () => () => {} }, { intervalMs: 60 * 60_000 });
    reconciler.start();
  });
  afterAll(async () => {
    await reconciler?.stop();
    await runtime?.close();
    await endLocalWorkspaces(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("gets to RUNNING without the runtime's events", async () => {
    const owner = await createUser("owner@recheck.test");
    const team = await createTeamWith("recheck", [[owner, "OWNER"]]);
    const template = await getDb().template.create({
      data: { slug: "test", name: "Test", versions: { create: { version: 1, spec: TEST_TEMPLATE as object } } },
      include: { versions: true },
    });
    const workspace = await getDb().workspace.create({
      data: {
        name: "deaf",
        ownerId: owner.id,
        teamId: team.id,
        templateVersionId: template.versions[0]!.id,
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
      },
    });

    // The local runtime's start returns before its process is up: this reconcile leaves it STARTING.
    await reconciler.reconcile(workspace.id);
    const stateOf = async () => (await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id } })).state;
    expect(await stateOf()).toBe("STARTING");
    await expect.poll(stateOf, { timeout: 30_000, interval: 100 }).toBe("RUNNING");
  });
});
