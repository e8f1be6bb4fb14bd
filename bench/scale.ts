// Reconcile loop at fleet scale: 10,000 workspaces (BENCH_WORKSPACES) in a
// fresh PostgreSQL database, and reconcile passes with nothing to change, as
// the leader runs one as a safety net every 30 s. Reports each pass's duration and how many
// statements it sent to the database (Prisma's query events), for a fleet
// all stopped and for one with a tenth running in both the database and the
// runtime (a stand-in runtime that lists them; the database side is real).
// The goal: no per-workspace work in such a pass, ≤ 50 ms.
//
//   npm run bench -- scale        (BENCH_WORKSPACES=10000, BENCH_PASSES=50, BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres)
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { installDbClients } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { ObservedStatus, WorkspaceRuntime } from "@/lib/runtime/types";
import { createReconciler } from "@/lib/workspaces/reconciler";
import { createFleetOwner, seedWorkspaces } from "../test/helpers/fleet";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { queryCountingClient } from "../test/helpers/query-counter";
import { summarize, type Summary } from "./stats";

export async function benchScale(
  workspaces = Number(process.env.BENCH_WORKSPACES ?? 10_000),
  passes = Number(process.env.BENCH_PASSES ?? 50),
): Promise<Record<string, Summary>> {
  const database = await createTestDatabase(process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  await prepareDatabase({ kind: "postgres", url: database.url });
  // A client like the app's background one (same adapter and pool) that counts its statements, pointed at the throwaway database.
  const counting = queryCountingClient(database.url, "background");
  const uninstallClients = installDbClients({ pages: counting.client, background: counting.client });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-bench-scale-"));
  const local = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache") });
  /** What the stand-in runtime runs: the local runtime's own list is of real processes. */
  let active = new Map<string, ObservedStatus>();
  const runtime: WorkspaceRuntime = { ...local, listActive: async () => active };
  const reconciler = createReconciler(runtime);
  const rows: Record<string, Summary> = {};

  async function measure(label: string) {
    const durations: number[] = [];
    const queries: number[] = [];
    for (let pass = 0; pass < passes; pass++) {
      const [before, began] = [counting.queries(), performance.now()];
      await reconciler.reconcileAll();
      durations.push(performance.now() - began);
      queries.push(counting.queries() - before);
    }
    console.log(`  ${label}: ${Math.min(...queries)}–${Math.max(...queries)} database statements per pass`);
    rows[`${label}: pass`] = summarize(durations);
  }

  try {
    const owner = await createFleetOwner("bench-scale");
    const seeding = performance.now();
    await seedWorkspaces(owner, "stopped", workspaces, "STOPPED", "STOPPED");
    console.log(`  seeded ${workspaces} workspaces in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
    await measure(`${workspaces} stopped, nothing to do`);

    // Turn a tenth into running ones, and have the runtime report them running.
    const running = Math.floor(workspaces / 10);
    await counting.client.$executeRaw`UPDATE "Workspace" SET "state" = 'RUNNING', "desiredState" = 'RUNNING' WHERE "id" IN (SELECT 'stopped' || n FROM generate_series(1, ${running}::int) AS n)`;
    active = new Map(Array.from({ length: running }, (_, i) => [`stopped${i + 1}`, { state: "running", message: "Running" }]));
    await measure(`${workspaces} of which ${running} running, nothing to do`);
    return rows;
  } finally {
    await reconciler.stop();
    await local.close();
    await uninstallClients();
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
