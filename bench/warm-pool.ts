// The provisioning benchmark's warm scenario (bench/provisioning.ts): N
// creates at once, each of which claims a running member of the team's warm
// pool, through the app's own code: createWorkspace on PostgreSQL (the claim
// under FOR UPDATE SKIP LOCKED; the relabelling follows off its path), with
// the reconciler and the refill loop on the runtime given. Per create:
// request → claimed (createWorkspace returned) and request → a usable
// terminal (the workspace RUNNING and a shell attached, echoing a command's
// output, with the user's environment). The pool is filled first and not refilled during the
// measurement, so every create finds a member. Before the creates, the same
// terminals are opened on the pool's members as they are (no claim, no
// database): what the cluster's exec path alone costs N terminals at once,
// the floor under "usable terminal".
import { createPrismaClient, getDb, installDbClients } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { installRuntime } from "@/lib/runtime/runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createWorkspace } from "@/lib/workspaces/create-workspace";
import { createReconciler } from "@/lib/workspaces/reconciler";
import { registerReconciler } from "@/lib/workspaces/reconcile-trigger";
import { runtimeSpecInclude, toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { createWarmPoolLoop } from "@/lib/workspaces/warm-pool/refill-loop";
import { setWarmPoolSize } from "@/lib/workspaces/warm-pool/set-pool-size";
import { actorFor, createTeamWith, createUser } from "../test/helpers/identity";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { TEST_TEMPLATE } from "../test/helpers/test-template";
import { outputLine, runInTerminal } from "../test/runtime/contract";

const FILL_TIMEOUT_MS = 300_000;

export interface WarmPoolBench {
  /**
   * Fills a pool of `count`, then creates `count` workspaces at once: each
   * one's request → created (createWorkspace returned: claimed) and
   * request → usable terminal, in ms, and why any failed; and, before the
   * creates, how long a terminal took in each member as it was (ms).
   */
  createsAtOnce(count: number): Promise<{ times: Array<{ created: number; terminal: number }>; terminalsAlone: number[]; failures: string[] }>;
  close(): Promise<void>;
}

export async function warmPoolBench(runtime: WorkspaceRuntime): Promise<WarmPoolBench> {
  const database = await createTestDatabase(process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  const target = { kind: "postgres" as const, url: database.url };
  await prepareDatabase(target);
  const uninstallClients = installDbClients({ pages: createPrismaClient(target, "pages"), background: createPrismaClient(target, "background") });
  installRuntime(runtime);
  const reconciler = createReconciler(runtime);
  registerReconciler(reconciler);
  reconciler.start();
  const loop = createWarmPoolLoop({ refillConcurrency: 50 });
  // Small members, so that 50 fit the test node.
  const spec = { ...TEST_TEMPLATE, slug: "warm", resources: { cpu: { default: 0.1 }, memoryGiB: { default: 0.125 }, diskGiB: { default: 1 } } };
  const template = await getDb().template.create({ data: { slug: "warm", name: "Warm", versions: { create: { version: 1, spec: spec as object } } } });

  return {
    async createsAtOnce(count) {
      const user = await createUser(`warm${count}@bench.test`);
      const team = await createTeamWith(`warm${count}`, [[user, "OWNER"]]);
      const actor = await actorFor(user);
      await setWarmPoolSize(actor, { teamId: team.id, templateId: template.id, size: count });
      const deadline = Date.now() + FILL_TIMEOUT_MS;
      while ((await getDb().workspace.count({ where: { teamId: team.id, warmPoolId: { not: null }, state: "RUNNING" } })) < count) {
        if (Date.now() > deadline) throw new Error(`the warm pool of ${count} was not full within ${FILL_TIMEOUT_MS / 1000} s`);
        await loop.runOnce();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const members = await getDb().workspace.findMany({ where: { teamId: team.id, warmPoolId: { not: null } }, include: runtimeSpecInclude });
      const terminalsAlone = await Promise.all(
        members.map(async (member) => {
          const openedAt = performance.now();
          await usableTerminal(runtime, member);
          return performance.now() - openedAt;
        }),
      );
      const results = await Promise.allSettled(
        Array.from({ length: count }, async (_, i) => {
          const requestedAt = performance.now();
          const { id } = await createWorkspace(actor, { name: `w${i}`, teamId: team.id, templateSlug: "warm", gitRepository: undefined, parameters: {} });
          const created = performance.now() - requestedAt;
          const workspace = await getDb().workspace.findUniqueOrThrow({ where: { id }, include: runtimeSpecInclude });
          if (workspace.claimedAt === null || workspace.state !== "RUNNING") throw new Error(`create ${i} did not get a running workspace from the pool`);
          await usableTerminal(runtime, workspace);
          return { created, terminal: performance.now() - requestedAt };
        }),
      );
      // Deleted the way users delete them, so the reconciler isn't left with workspaces whose pods went behind its back.
      await setWarmPoolSize(actor, { teamId: team.id, templateId: template.id, size: 0 });
      const ids = (await getDb().workspace.findMany({ where: { teamId: team.id }, select: { id: true } })).map((workspace) => workspace.id);
      await getDb().workspace.updateMany({ where: { id: { in: ids } }, data: { desiredState: "DELETED" } });
      await Promise.all(ids.map((id) => reconciler.reconcile(id)));
      return {
        terminalsAlone,
        times: results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : [])),
        failures: results.flatMap((result) => (result.status === "rejected" ? [String(result.reason).split("\n")[0]!] : [])),
      };
    },
    async close() {
      await reconciler.stop();
      registerReconciler(undefined);
      installRuntime(undefined);
      await uninstallClients();
      await database.drop();
    },
  };
}

/** Opens a terminal in the workspace and waits for a command's output in it. */
async function usableTerminal(runtime: WorkspaceRuntime, workspace: Parameters<typeof toRuntimeSpec>[0]): Promise<void> {
  const shell = await runtime.attachTerminal(toRuntimeSpec(workspace), { cols: 80, rows: 24 });
  try {
    await runInTerminal(shell, "echo $((6*7))", outputLine("42"));
  } finally {
    shell.close();
  }
}
