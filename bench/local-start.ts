// Local start benchmark: a stopped workspace, started the way the Start button
// does it (operateWorkspace, then the reconciler and the local runtime), on the
// embedded PGlite database, with the real code-server already in the cache.
//
// Reports p50/p95 over N starts of
//   click -> usable terminal: Start requested -> a shell attached and echoing
//     a command's output (the workspace page connects once it is RUNNING)
//   click -> IDE ready: Start requested -> the runtime's `ready` step
//     (code-server answers /healthz)
// Goals (issue 13): terminal p95 <= 1 s, IDE p95 <= 5 s.
//
//   npm run bench -- local-start            (BENCH_STARTS=20 to change N)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { summarize, type Summary } from "./stats";

const CACHE_DIR = process.env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace");

export async function benchLocalStart(count = Number(process.env.BENCH_STARTS ?? 10)): Promise<Record<string, Summary>> {
  const { installedCodeServerBin } = await import("@/lib/runtime/local/code-server");
  if (!installedCodeServerBin(CACHE_DIR)) {
    const reason = `code-server is not installed in ${CACHE_DIR} (npx vitest run --project unit test/runtime/code-server.test.ts installs it)`;
    return { "click -> usable terminal": { kind: "unavailable", reason }, "click -> IDE ready": { kind: "unavailable", reason } };
  }
  // A fresh embedded database: lib/env reads the data dir when first imported.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-start-"));
  process.env.PODSPACE_DATA_DIR = dataDir;
  delete process.env.DATABASE_URL;

  const { getDb, closeDb, databaseTarget } = await import("@/lib/db/client");
  const { prepareDatabase } = await import("@/lib/db/prepare");
  const { createLocalRuntime } = await import("@/lib/runtime/local/local-runtime");
  const { createReconciler } = await import("@/lib/workspaces/reconciler");
  const { registerReconciler } = await import("@/lib/workspaces/reconcile-trigger");
  const { operateWorkspace } = await import("@/lib/workspaces/operate-workspace");
  const { runtimeSpecInclude, toRuntimeSpec } = await import("@/lib/workspaces/runtime-spec");
  const { createTeamWith, createUser, actorFor } = await import("../test/helpers/identity");
  const { runInTerminal, outputLine } = await import("../test/runtime/contract");
  const { endLocalWorkspaces } = await import("../test/helpers/local-workspaces");

  await prepareDatabase(databaseTarget());
  const runtime = createLocalRuntime({ dataDir, cacheDir: CACHE_DIR });
  const reconciler = createReconciler(runtime);
  registerReconciler(reconciler);
  reconciler.start();
  try {
    const owner = await createUser("bench@podspace.dev");
    const team = await createTeamWith("bench", [[owner, "OWNER"]]);
    const template = await getDb().template.create({
      data: {
        slug: "bench",
        name: "Bench",
        versions: {
          create: {
            version: 1,
            spec: {
              slug: "bench",
              name: "Bench",
              description: "",
              icon: "box",
              tags: [],
              image: "podspace/bench:1",
              resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
              parameters: [],
              env: {},
              startupScript: "",
              ide: {
                command: ["code-server", "--bind-addr", "{host}:{port}", "--auth", "none", "--disable-telemetry", "--disable-update-check", "."],
                port: 13337,
                healthPath: "/healthz",
              },
              idleTimeoutMinutes: 60,
              maxLifetimeHours: 24,
            },
          },
        },
      },
      include: { versions: true },
    });
    const workspace = await getDb().workspace.create({
      data: {
        name: "bench",
        ownerId: owner.id,
        teamId: team.id,
        templateVersionId: template.versions[0]!.id,
        desiredState: "STOPPED",
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
      },
    });
    const actor = await actorFor(owner);
    const stateOf = async () => (await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id } })).state;
    const until = async (state: string) => {
      while ((await stateOf()) !== state) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await reconciler.reconcile(workspace.id);
    await until("STOPPED");
    const spec = toRuntimeSpec(await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id }, include: runtimeSpecInclude }));

    const terminal: number[] = [];
    const ide: number[] = [];
    for (let i = 0; i < count; i++) {
      const ready = new Promise<number>((resolve) => {
        const unwatch = runtime.watch((event) => {
          if (event.workspaceId === workspace.id && event.type === "progress" && event.step === "ready") {
            unwatch();
            resolve(performance.now());
          }
        });
      });
      const clickedAt = performance.now();
      await operateWorkspace(actor, { workspaceId: workspace.id, operation: "start" });
      await until("RUNNING");
      const shell = await runtime.attachTerminal(spec, { cols: 80, rows: 24 });
      await runInTerminal(shell, "echo $((6*7))", outputLine("42"));
      terminal.push(performance.now() - clickedAt);
      shell.close();
      ide.push((await ready) - clickedAt);

      await operateWorkspace(actor, { workspaceId: workspace.id, operation: "stop" });
      await until("STOPPED");
    }
    return {
      [`click -> usable terminal, n=${count}`]: summarize(terminal),
      [`click -> IDE ready (code-server /healthz), n=${count}`]: summarize(ide),
    };
  } finally {
    await reconciler.stop();
    registerReconciler(undefined);
    await runtime.close();
    await endLocalWorkspaces(dataDir);
    await closeDb();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
