// Workspace isolation on the network, with the NetworkPolicy the Kubernetes
// driver itself creates per team: a real control plane, the test node agent
// (a pod network on a bridge, NetworkPolicy enforced with nftables), two
// teams' workspaces started by the driver, and a stand-in for Podspace: a
// pod in Podspace's namespace serving on a port and on the AI gateway's. A
// workspace must reach neither Podspace's pod (but for the AI port) nor
// another team's workspace, while Podspace
// reaches a workspace's IDE port (the path it proxies through in a cluster;
// with no kube-proxy here the Service's pod IP stands in for the Service,
// which NetworkPolicy sees the same way) and any other port a workspace
// serves (preview URLs, at the pod's IP). Each connection is made from
// inside the source pod's network namespace. Deleting the policies lets the
// same connections through, so it is the enforcement that blocks them, not
// the network. Needs root, nft and br_netfilter, and the control-plane
// binaries (scripts/kube/build-control-plane.sh).
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, NetworkingV1Api, type KubeConfig } from "@kubernetes/client-node";
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import { CONTROL_PLANE_NAMESPACE_LABEL, PODSPACE_SERVER_LABELS } from "@/lib/runtime/kubernetes/manifests";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";
import { startNodeAgent, TEST_STORAGE_CLASS, type NodeAgent } from "../helpers/kube/node-agent";
import { httpProbe } from "../helpers/kube/node-agent/probe";
import { backgroundServer, contractSpec, waitForState } from "../runtime/contract";

const SLOW = { timeout: 120_000 };
const PREFIX = "podspace-";
const SELF_NAMESPACE = "podspace";
const PODSPACE_POD = "podspace-web";
const PODSPACE_PORT = 3000;
/** The AI gateway's port, the one of Podspace's that workspaces may reach. */
const AI_PORT = 3001;
/** A dropped SYN shows as no answer within this; a connection on the bridge answers in milliseconds. */
const CONNECT_TIMEOUT_MS = 1_500;

let cp: ControlPlane;
let kc: KubeConfig;
let core: CoreV1Api;
let agent: NodeAgent | undefined;
let runtime: WorkspaceRuntime;

/** An app each workspace serves besides its IDE, as a preview URL would show it. */
const APP_PORT = 8080;
const alpha = contractSpec("netalpha", { teamSlug: "alpha", startupScript: backgroundServer("0.0.0.0", APP_PORT) });
const beta = contractSpec("netbeta", { teamSlug: "beta", startupScript: backgroundServer("0.0.0.0", APP_PORT) });

/** A pod somewhere: its namespace, name and IP. */
interface Endpoint {
  namespace: string;
  name: string;
  ip: string;
}
let podspace: Endpoint;
let alphaPod: Endpoint;
let betaPod: Endpoint;

beforeAll(async () => {
  cp = await startControlPlane();
  kc = cp.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  agent = await startNodeAgent({ kubeConfig: kc });
  runtime = createKubernetesRuntime({
    kubeConfig: kc,
    namespacePrefix: PREFIX,
    storageClass: TEST_STORAGE_CLASS,
    egressAllow: [],
    selfNamespace: SELF_NAMESPACE,
    inCluster: false,
    aiPort: AI_PORT,
  });

  // Podspace's namespace as the k8s/ manifests make it: labelled so that team namespaces admit it.
  await core.createNamespace({ body: { metadata: { name: SELF_NAMESPACE, labels: { ...CONTROL_PLANE_NAMESPACE_LABEL } } } });
  await cp.waitForDefaultServiceAccount(SELF_NAMESPACE);
  await core.createNamespacedPod({ namespace: SELF_NAMESPACE, body: podspacePod() });

  for (const spec of [alpha, beta]) {
    await runtime.prepareTeam({
      slug: spec.teamSlug,
      limits: { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null },
    });
    await runtime.provision(spec);
    await runtime.start(spec);
  }
  await Promise.all([alpha, beta].map((spec) => waitForState(runtime, spec, "running", 120_000)));
  [podspace, alphaPod, betaPod] = await Promise.all([
    readyPod(SELF_NAMESPACE, PODSPACE_POD),
    readyPod(`${PREFIX}alpha`, `ws-${alpha.id}`),
    readyPod(`${PREFIX}beta`, `ws-${beta.id}`),
  ]);
}, 240_000);

afterAll(async () => {
  await runtime?.close();
  await agent?.stop();
  await cp?.stop();
}, 60_000);

/** Podspace's stand-in, labelled as its server pods are: answers every request on PODSPACE_PORT and AI_PORT. */
function podspacePod() {
  const server = [PODSPACE_PORT, AI_PORT].map((port) => `require("node:http").createServer((req, res) => res.end("podspace")).listen(${port}, "0.0.0.0");`).join("");
  return {
    metadata: { name: PODSPACE_POD, labels: PODSPACE_SERVER_LABELS },
    spec: {
      automountServiceAccountToken: false,
      containers: [
        {
          name: "web",
          image: "podspace/test",
          // process.execPath: PATH inside the pod needn't lead to Node 24.
          command: [process.execPath, "-e", server],
          readinessProbe: { httpGet: { path: "/", port: PODSPACE_PORT }, periodSeconds: 1 },
        },
      ],
    },
  };
}

/** Waits for the pod's Ready condition (its server answers), and returns where it is. */
async function readyPod(namespace: string, name: string): Promise<Endpoint> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const pod = await core.readNamespacedPod({ namespace, name });
    const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    if (ready && pod.status?.podIP) return { namespace, name, ip: pod.status.podIP };
    if (Date.now() > deadline) throw new Error(`pod ${namespace}/${name} not ready: ${JSON.stringify(pod.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

type Outcome = "answered" | "no answer";

/**
 * One HTTP request from inside `from`'s network namespace to `to`'s IP.
 * A refused connection throws: it means nothing listens, not that a policy dropped it.
 */
async function connect(from: Endpoint, to: Endpoint, port: number): Promise<Outcome> {
  const sandboxPid = agent!.sandboxPid(from.namespace, from.name);
  if (sandboxPid === undefined) throw new Error(`pod ${from.namespace}/${from.name} has no network namespace on the agent`);
  try {
    await httpProbe(sandboxPid, { path: "/", port }, { host: to.ip, port, timeoutMs: CONNECT_TIMEOUT_MS });
    return "answered";
  } catch (error) {
    if (/^timeout after/.test((error as Error).message)) return "no answer";
    throw error;
  }
}

/**
 * Waits until the connection has `outcome`: the agent applies policy
 * changes asynchronously, like any network plugin, so a test can only ask
 * for the state it settles in.
 */
async function expectConnection(from: Endpoint, to: Endpoint, port: number, outcome: Outcome): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = await connect(from, to, port);
  while (last !== outcome && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await connect(from, to, port);
  }
  expect(`${from.name} → ${to.name}:${port}: ${last}`).toBe(`${from.name} → ${to.name}:${port}: ${outcome}`);
}

const IDE_PORT = alpha.ide.port;

describe("network isolation of workspaces (node agent enforcing the driver's NetworkPolicy)", () => {
  it("gives every pod an IP on the node's pod network, reported in its status", SLOW, async () => {
    const prefix = agent!.podNetwork.cidr.replace(/0\/24$/, "");
    for (const endpoint of [podspace, alphaPod, betaPod]) {
      const pod = await core.readNamespacedPod({ namespace: endpoint.namespace, name: endpoint.name });
      expect(pod.status?.podIP?.startsWith(prefix)).toBe(true);
      expect(pod.status?.podIPs).toEqual([{ ip: pod.status?.podIP }]);
    }
    expect(new Set([podspace.ip, alphaPod.ip, betaPod.ip]).size).toBe(3);
  });

  it("lets Podspace reach a workspace's IDE port and its apps' ports, and no workspace reach Podspace or another team", SLOW, async () => {
    await expectConnection(podspace, alphaPod, IDE_PORT, "answered");
    await expectConnection(podspace, betaPod, IDE_PORT, "answered");
    await expectConnection(alphaPod, podspace, PODSPACE_PORT, "no answer");
    await expectConnection(betaPod, podspace, PODSPACE_PORT, "no answer");
    await expectConnection(alphaPod, betaPod, IDE_PORT, "no answer");
    await expectConnection(betaPod, alphaPod, IDE_PORT, "no answer");
    await expectConnection(podspace, alphaPod, APP_PORT, "answered");
    await expectConnection(podspace, betaPod, APP_PORT, "answered");
    await expectConnection(alphaPod, betaPod, APP_PORT, "no answer");
    await expectConnection(betaPod, alphaPod, APP_PORT, "no answer");
  });

  it("lets a workspace reach Podspace's AI port, on a 1.20 cluster whose namespaces carry no name label", SLOW, async () => {
    const self = await core.readNamespace({ name: SELF_NAMESPACE });
    expect(self.metadata?.labels?.["kubernetes.io/metadata.name"]).toBeUndefined();
    await expectConnection(alphaPod, podspace, AI_PORT, "answered");
    await expectConnection(betaPod, podspace, AI_PORT, "answered");
    await expectConnection(alphaPod, podspace, PODSPACE_PORT, "no answer");
  });

  it("lets the same connections through once the policies are deleted: the enforcement blocked them", SLOW, async () => {
    const networking = kc.makeApiClient(NetworkingV1Api);
    // Alpha's policy first: alpha's egress opens, while beta's ingress rule still keeps alpha out.
    await networking.deleteNamespacedNetworkPolicy({ namespace: `${PREFIX}alpha`, name: "podspace-isolation" });
    await expectConnection(alphaPod, podspace, PODSPACE_PORT, "answered");
    await expectConnection(alphaPod, betaPod, IDE_PORT, "no answer");
    await expectConnection(betaPod, alphaPod, IDE_PORT, "no answer"); // beta's egress rule

    await networking.deleteNamespacedNetworkPolicy({ namespace: `${PREFIX}beta`, name: "podspace-isolation" });
    await expectConnection(alphaPod, betaPod, IDE_PORT, "answered");
    await expectConnection(betaPod, alphaPod, IDE_PORT, "answered");
    await expectConnection(betaPod, alphaPod, APP_PORT, "answered");
    await expectConnection(betaPod, podspace, PODSPACE_PORT, "answered");
  });

  it("leaves no bridge, veth or nftables table behind once the agent stops", SLOW, async () => {
    const { bridge, nftTable } = agent!.podNetwork;
    await agent!.stop();
    agent = undefined;
    // The veths are named after the bridge (<bridge>v<host part of the IP>); other agents' bridges may be there.
    const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
    expect(links).not.toMatch(new RegExp(`^\\d+: ${bridge}(v\\d+)?[:@]`, "m"));
    expect(execFileSync("nft", ["list", "tables"], { encoding: "utf8" }).split("\n")).not.toContain(`table inet ${nftTable}`);
  });
});
