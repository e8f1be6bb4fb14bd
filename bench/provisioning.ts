// Provisioning benchmark: N workspaces created at once on the Kubernetes
// runtime, against a real kube-apiserver, scheduler and controller-manager,
// with the test node agent running the pods as local processes.
//
// Reports, per workspace, p50/p95 of
//   control plane: request -> Pod accepted by the API (start() resolved)
//   create -> Running: request -> the runtime reports the workspace running
//     (PVC bound, scheduled, process started, readiness probe passed)
//
//   npm run bench -- provisioning            (BENCH_WORKSPACES=20 to change N)
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import type { WorkspaceSpec } from "@/lib/runtime/types";
import { startControlPlane } from "../test/helpers/kube/control-plane";
import { startNodeAgent, TEST_STORAGE_CLASS } from "../test/helpers/kube/node-agent";
import { contractSpec } from "../test/runtime/contract";
import { summarize, type Summary } from "./stats";

export async function benchProvisioning(count = Number(process.env.BENCH_WORKSPACES ?? 10)): Promise<Record<string, Summary>> {
  const controlPlane = await startControlPlane();
  const agent = await startNodeAgent({ kubeConfig: controlPlane.kubeConfig() });
  const runtime = createKubernetesRuntime({
    kubeConfig: controlPlane.kubeConfig(),
    namespacePrefix: "bench-",
    storageClass: TEST_STORAGE_CLASS,
    egressAllow: [],
    selfNamespace: "podspace",
    inCluster: false,
  });
  try {
    await runtime.prepareTeam({
      slug: "bench",
      limits: { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null },
    });
    const running = new Map<string, () => void>();
    runtime.watch((event) => {
      if (event.type === "status" && event.status.state === "running") running.get(event.workspaceId)?.();
    });

    const specs: WorkspaceSpec[] = Array.from({ length: count }, (_, i) =>
      contractSpec(`b${i}${Date.now().toString(36)}`, { teamSlug: "bench", resources: { cpuMillicores: 100, memoryMiB: 128, diskGiB: 1 } }),
    );
    const timings = await Promise.all(
      specs.map(async (spec) => {
        const isRunning = new Promise<void>((resolve) => running.set(spec.id, resolve));
        const startedAt = performance.now();
        await runtime.provision(spec);
        await runtime.start(spec);
        const accepted = performance.now() - startedAt;
        await isRunning;
        return { accepted, running: performance.now() - startedAt };
      }),
    );
    await Promise.all(specs.map((spec) => runtime.destroy(spec)));
    return {
      [`control plane (request -> pod accepted), n=${count}`]: summarize(timings.map((t) => t.accepted)),
      [`create -> Running, n=${count}`]: summarize(timings.map((t) => t.running)),
    };
  } finally {
    await runtime.close();
    await agent.stop();
    await controlPlane.stop();
  }
}
