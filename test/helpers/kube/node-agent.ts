// A fake kubelet for tests ("node agent"): registers a Ready Node with the
// test control plane (control-plane.ts), provisions hostPath volumes for
// PersistentVolumeClaims, runs the pods the real scheduler binds to it as
// local processes (each in its own network namespace, on the agent's pod
// network: a bridge and a /24, pod-network.ts), enforces NetworkPolicies
// there with nftables (policy-enforcer.ts), reports the pods' status and
// events, and serves exec, port-forward and logs to the apiserver, so
// terminal and IDE traffic takes the production path: client → apiserver →
// node agent → process. Needs root (unshare/nsenter, ip, nft, with
// br_netfilter loaded) and socat and openssl.
//
// Under dir (a temp dir unless given): node-agent.log (errors),
// kubelet-requests.log (what the apiserver sent), volumes/<pv>/ (volume
// contents) and pods/<ns>_<name>_<uid>/ (container logs, scratch homes).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { EventRecorder } from "./node-agent/events";
import { startKubeletServer } from "./node-agent/kubelet-server";
import { registerNode } from "./node-agent/node-registration";
import { OrphanGuard } from "./node-agent/orphan-guard";
import { startPodNetwork } from "./node-agent/pod-network";
import { startPodRunner, type PodRunner } from "./node-agent/pod-runner";
import { startPolicyEnforcer } from "./node-agent/policy-enforcer";
import { startVolumeProvisioner } from "./node-agent/volume-provisioner";

export { TEST_STORAGE_CLASS } from "./node-agent/volume-provisioner";

export interface NodeAgent {
  nodeName: string;
  /** Holds node-agent.log, kubelet-requests.log, volumes/ and pods/. */
  dir: string;
  /** Every pod of this node has an IP in `cidr`, on `bridge`; `nftTable` (inet) enforces NetworkPolicies. */
  podNetwork: { cidr: string; bridge: string; nftTable: string };
  /**
   * A process in the pod's network namespace (nsenter --net=/proc/<pid>/ns/net),
   * while the pod has one.
   */
  sandboxPid(namespace: string, name: string): number | undefined;
  /** Stops every pod's processes, the watches and the server, removes the pod network, and deletes the Node. */
  stop(): Promise<void>;
}

export interface NodeAgentOptions {
  kubeConfig: KubeConfig;
  /** Default: podspace-node-<random>. */
  nodeName?: string;
  /** Default: a new temp dir, removed by stop(). */
  dir?: string;
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const nodeName = options.nodeName ?? `podspace-node-${crypto.randomBytes(3).toString("hex")}`;
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "podspace-node-"));
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, "node-agent.log");
  const log = (line: string) => fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  const { kubeConfig } = options;

  const guard = new OrphanGuard(dir);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    // Reverse order: the Node goes first, so nothing new is scheduled while the rest shuts down.
    for (const step of stops.reverse()) {
      await step().catch((error: unknown) => log(`stopping: ${String(error)}`));
    }
    guard.dispose();
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  let pods: PodRunner;
  let podNetwork: NodeAgent["podNetwork"];
  try {
    const provisioner = await startVolumeProvisioner({ kubeConfig, dir: path.join(dir, "volumes"), log });
    stops.push(() => provisioner.stop());
    const network = await startPodNetwork(guard);
    podNetwork = { cidr: network.cidr, bridge: network.bridge, nftTable: `podspace_${network.bridge}` };
    stops.push(() => network.stop());
    const enforcer = await startPolicyEnforcer({ kubeConfig, nodeName, table: podNetwork.nftTable, guard, log });
    stops.push(() => enforcer.stop());
    pods = startPodRunner({
      kubeConfig,
      nodeName,
      dir: path.join(dir, "pods"),
      events: new EventRecorder(kubeConfig, nodeName, log),
      guard,
      network,
      log,
    });
    stops.push(() => pods.stop());
    const server = await startKubeletServer({ dir, nodeName, findPod: pods.find });
    stops.push(() => server.close());
    const node = await registerNode({ kubeConfig, name: nodeName, kubeletPort: server.port, log });
    stops.push(() => node.stop());
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodeName,
    dir,
    podNetwork,
    sandboxPid: (namespace, name) => pods.find(namespace, name)?.sandboxPid,
    stop,
  };
}
