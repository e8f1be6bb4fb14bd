// The reconciler with the Kubernetes driver on a node (a real control plane
// and the test node agent): a start the cluster can't serve at first is
// FAILED with the cluster's reason, and one the cluster then gets past by
// itself (a node with room, as an autoscaler adds) runs, and is RUNNING.
// Needs root (the node agent) and the control-plane binaries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api } from "@kubernetes/client-node";
import { getDb } from "@/lib/db/client";
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { createTeamWith, createUser } from "../helpers/identity";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";
import { startNodeAgent, TEST_STORAGE_CLASS, type NodeAgent } from "../helpers/kube/node-agent";
import { NODE_RESOURCES } from "../helpers/kube/node-agent/node-registration";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";
import { TEST_TEMPLATE } from "../helpers/test-template";

usePostgresAppDatabase();

const SLOW = { timeout: 180_000 };

let cp: ControlPlane;
let agent: NodeAgent;
let runtime: WorkspaceRuntime;
let reconciler: Reconciler;

beforeAll(async () => {
  cp = await startControlPlane();
  agent = await startNodeAgent({ kubeConfig: cp.kubeConfig() });
  runtime = createKubernetesRuntime({
    kubeConfig: cp.kubeConfig(),
    namespacePrefix: "podspace-",
    storageClass: TEST_STORAGE_CLASS,
    egressAllow: [],
    selfNamespace: "podspace",
    inCluster: false,
  });
  reconciler = createReconciler(runtime, { intervalMs: 500 });
  reconciler.start();
}, 120_000);

afterAll(async () => {
  await reconciler?.stop();
  await runtime?.close();
  await agent?.stop();
  await cp?.stop();
}, 60_000);

/** A pod that takes all of the node's cpu but half a core, as other tenants' pods would. */
function hogPod() {
  const cpu = `${Number(NODE_RESOURCES.cpu) * 1000 - 500}m`;
  return {
    metadata: { name: "hog" },
    spec: {
      automountServiceAccountToken: false,
      containers: [
        {
          name: "hog",
          image: "podspace/test",
          command: [process.execPath, "-e", "setInterval(() => {}, 1000)"],
          resources: { requests: { cpu, memory: "64Mi" }, limits: { cpu, memory: "64Mi" } },
        },
      ],
    },
  };
}

describe("reconciling workspaces on Kubernetes", () => {
  it("runs a workspace FAILED for want of a node once the cluster finds it one", SLOW, async () => {
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    await cp.waitForDefaultServiceAccount("default");
    await core.createNamespacedPod({ namespace: "default", body: hogPod() });

    const owner = await createUser("owner@kube-reconcile.test");
    const team = await createTeamWith("kreconcile", [[owner, "OWNER"]]);
    const template = await getDb().template.create({
      data: { slug: "test", name: "Test", versions: { create: { version: 1, spec: TEST_TEMPLATE as object } } },
      include: { versions: true },
    });
    const workspace = await getDb().workspace.create({
      data: {
        name: "waits-for-a-node",
        ownerId: owner.id,
        teamId: team.id,
        templateVersionId: template.versions[0]!.id,
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
      },
    });
    const stateOf = async () => {
      const { state, stateReason } = await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id } });
      return `${state}${stateReason ? ` (${stateReason})` : ""}`;
    };

    await reconciler.reconcile(workspace.id);
    await expect.poll(stateOf, { timeout: 60_000, interval: 200 }).toBe("FAILED (scheduling)");

    // Room on the node: the scheduler places the pod, and the node runs it.
    await core.deleteNamespacedPod({ namespace: "default", name: "hog", gracePeriodSeconds: 0 });
    const phase = async () => (await core.readNamespacedPod({ namespace: "podspace-kreconcile", name: `ws-${workspace.id}` })).status?.phase;
    await expect.poll(phase, { timeout: 90_000, interval: 200 }).toBe("Running");
    await expect.poll(stateOf, { timeout: 30_000, interval: 200 }).toBe("RUNNING");
  });
});
