// Preview URLs on the Kubernetes runtime: a real control plane and the test
// node agent (pods as local processes on a bridged pod network), a workspace
// whose startup script serves two apps besides its IDE. The runtime finds
// their ports by exec into the pod, and reaches them both ways Podspace
// does: through a port-forward via the apiserver (Podspace outside the
// cluster) and at the pod's IP (inside it; the test process is on the node,
// which reaches the pod network as Podspace's pod would).
// Needs root (the agent uses network namespaces) and the control-plane binaries.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { logger } from "@/lib/observability/logger";
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import type { ListeningPort, WorkspaceRuntime, WorkspaceSpec } from "@/lib/runtime/types";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";
import { startNodeAgent, TEST_STORAGE_CLASS, type NodeAgent } from "../helpers/kube/node-agent";
import { backgroundServer, contractSpec, getThrough, waitForState } from "../runtime/contract";

const SLOW = { timeout: 120_000 };
const TEAM = "ports";
const NAMESPACE = `podspace-${TEAM}`;
/** One app on every address family (its socket is in /proc/net/tcp6), one on IPv4 only (/proc/net/tcp). */
const DUAL_STACK_PORT = 3000;
const IPV4_PORT = 3001;
/** Nothing listens here. */
const CLOSED_PORT = 3999;

let cp: ControlPlane;
let kc: KubeConfig;
let agent: NodeAgent;
/** Podspace outside the cluster: port-forwards through the apiserver. */
let outside: WorkspaceRuntime;
/** Podspace in the cluster: the pod network. */
let inside: WorkspaceRuntime;

const app = contractSpec("portsapp", {
  teamSlug: TEAM,
  startupScript: [backgroundServer("::", DUAL_STACK_PORT), backgroundServer("0.0.0.0", IPV4_PORT)].join("\n"),
});

const runtimeFor = (inCluster: boolean) =>
  createKubernetesRuntime({ kubeConfig: kc, namespacePrefix: "podspace-", storageClass: TEST_STORAGE_CLASS, egressAllow: [], selfNamespace: "podspace", inCluster });

beforeAll(async () => {
  cp = await startControlPlane();
  kc = cp.kubeConfig();
  agent = await startNodeAgent({ kubeConfig: kc });
  outside = runtimeFor(false);
  inside = runtimeFor(true);
  await outside.prepareTeam({ slug: TEAM, limits: { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null } });
  await started(app);
}, 240_000);

afterAll(async () => {
  await Promise.all([outside?.close(), inside?.close()]);
  await agent?.stop();
  await cp?.stop();
}, 60_000);

async function started(spec: WorkspaceSpec): Promise<WorkspaceSpec> {
  await outside.provision(spec);
  await outside.start(spec);
  await waitForState(outside, spec, "running", 90_000);
  return spec;
}

/** The ports `runtime` lists, once they are `expected` (the apps start in the background, after the container). */
async function portsSettlingOn(runtime: WorkspaceRuntime, spec: WorkspaceSpec, expected: ListeningPort[]): Promise<ListeningPort[]> {
  const deadline = Date.now() + 30_000;
  let ports = await runtime.listeningPorts(spec);
  while (JSON.stringify(ports) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    ports = await runtime.listeningPorts(spec);
  }
  return ports;
}

/** The requests the apiserver forwarded to the node for `spec`'s pod, by kind (`exec`, `portForward`). */
function kubeletRequests(kind: "exec" | "portForward", spec: WorkspaceSpec): string[] {
  const log = path.join(agent.dir, "kubelet-requests.log");
  if (!fs.existsSync(log)) return [];
  return fs
    .readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.includes(`/${kind}/${NAMESPACE}/ws-${spec.id}`));
}

describe("kubernetes runtime: the ports a workspace listens on", () => {
  it("lists both apps' ports, IPv4 and IPv6 sockets alike, and not the IDE's", SLOW, async () => {
    const expected = [DUAL_STACK_PORT, IPV4_PORT].map((port) => ({ port, process: null }));
    expect(await portsSettlingOn(outside, app, expected)).toEqual(expected);
    // The IDE does listen: it is left out, not missed.
    expect((await getThrough(await outside.ideTarget(app), app.ide.healthPath)).status).toBe(200);
  });

  it("reads them with one exec however many callers ask at once", SLOW, async () => {
    // A runtime of its own, so nothing is cached yet.
    const fresh = runtimeFor(false);
    try {
      const before = kubeletRequests("exec", app).length;
      const answers = await Promise.all(Array.from({ length: 5 }, () => fresh.listeningPorts(app)));
      expect(new Set(answers.map((ports) => JSON.stringify(ports))).size).toBe(1);
      expect(answers[0]!.map(({ port }) => port)).toEqual([DUAL_STACK_PORT, IPV4_PORT]);
      expect(kubeletRequests("exec", app).length - before).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it("gives a container that can't print its socket tables no ports and a warning, not an error", SLOW, async () => {
    // Its PATH leads nowhere, so exec finds no `cat`, as in an image without one.
    const bare = await started(contractSpec("portsbare", { teamSlug: TEAM, env: { PATH: "/nonexistent" } }));
    const warn = vi.spyOn(logger, "warn");
    try {
      expect(await outside.listeningPorts(bare)).toEqual([]);
      expect(warn.mock.calls.map(([, message]) => String(message))).toEqual([
        expect.stringMatching(new RegExp(`can't list the ports workspace pod ${NAMESPACE}/ws-${bare.id} listens on: .*cat /proc/net/tcp /proc/net/tcp6.* failed`)),
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("refuses a workspace that isn't running", SLOW, async () => {
    const stopped = contractSpec("portsstopped", { teamSlug: TEAM });
    await outside.provision(stopped);
    await expect(outside.listeningPorts(stopped)).rejects.toMatchObject({ code: "not-running" });
    for (const runtime of [outside, inside]) await expect(runtime.portTarget(stopped, DUAL_STACK_PORT)).rejects.toMatchObject({ code: "not-running" });
  });
});

describe("kubernetes runtime: reaching a workspace's port", () => {
  it("goes through a port-forward via the apiserver from outside the cluster", SLOW, async () => {
    const target = await outside.portTarget(app, DUAL_STACK_PORT);
    const before = kubeletRequests("portForward", app).length;
    const page = await getThrough(target, "/hello?from=outside");
    expect(page).toMatchObject({ status: 200, body: expect.stringMatching(/^test ide at \/hello\?from=outside/) });
    expect(kubeletRequests("portForward", app).length).toBeGreaterThan(before);
    expect((await getThrough(await outside.portTarget(app, IPV4_PORT), "/v4")).body).toMatch(/^test ide at \/v4/);
  });

  it("goes to the pod's IP from inside the cluster, without the apiserver", SLOW, async () => {
    const { status } = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ namespace: NAMESPACE, name: `ws-${app.id}` });
    const target = await inside.portTarget(app, DUAL_STACK_PORT);
    expect(target.describe).toContain(`at ${status!.podIP} port ${DUAL_STACK_PORT}`);
    const before = kubeletRequests("portForward", app).length;
    const page = await getThrough(target, "/hello?from=inside");
    expect(page).toMatchObject({ status: 200, body: expect.stringMatching(/^test ide at \/hello\?from=inside/) });
    expect(kubeletRequests("portForward", app).length).toBe(before);
  });

  it("says nothing listens on a port without a server, both ways", SLOW, async () => {
    for (const runtime of [outside, inside]) {
      const target = await runtime.portTarget(app, CLOSED_PORT);
      await expect(getThrough(target, "/")).rejects.toMatchObject({ code: "not-listening", message: expect.stringContaining(`port ${CLOSED_PORT}`) });
    }
  });
});
