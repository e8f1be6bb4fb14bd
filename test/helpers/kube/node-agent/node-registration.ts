// Registers the agent as a Node and keeps it Ready, as a kubelet does: the
// scheduler only places pods on a Ready node with allocatable resources, and
// the apiserver finds the kubelet for exec/port-forward/logs through the
// node's InternalIP and daemonEndpoints.kubeletEndpoint.Port.
import os from "node:os";
import { CoreV1Api, type KubeConfig, type V1Node, type V1NodeCondition } from "@kubernetes/client-node";
import { KUBE_VERSION } from "../control-plane";
import { describeError, ignoreNotFound, MERGE_PATCH } from "./api";

export interface NodeRegistration {
  /** Stops the heartbeat and deletes the Node. */
  stop(): Promise<void>;
}

export const NODE_RESOURCES = { cpu: "8", memory: "16Gi", pods: "110" };

// The node-lifecycle controller marks a node NotReady (and taints it) after
// 40 s without a heartbeat; 10 s is the kubelet's default status frequency.
const HEARTBEAT_MS = 10_000;

export async function registerNode(options: {
  kubeConfig: KubeConfig;
  name: string;
  kubeletPort: number;
  log(line: string): void;
}): Promise<NodeRegistration> {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const { name } = options;
  const registeredAt = new Date();

  // A leftover Node of the same name (a crashed earlier run) would point at a dead port.
  await ignoreNotFound(core.deleteNode({ name }));
  // Nodes, unlike most objects, may be created with their status.
  await core.createNode({ body: nodeObject(name, options.kubeletPort, conditions(registeredAt)) });

  const heartbeat = setInterval(() => {
    core
      .patchNodeStatus({ name, body: { status: { conditions: conditions(registeredAt) } } }, MERGE_PATCH)
      .catch((error: unknown) => options.log(`node heartbeat: ${describeError(error)}`));
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    async stop() {
      clearInterval(heartbeat);
      await ignoreNotFound(core.deleteNode({ name }));
    },
  };
}

function nodeObject(name: string, kubeletPort: number, nodeConditions: V1NodeCondition[]): V1Node {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  return {
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
      },
    },
    spec: {},
    status: {
      capacity: NODE_RESOURCES,
      allocatable: NODE_RESOURCES,
      conditions: nodeConditions,
      // InternalIP only: the apiserver prefers a Hostname address, and the
      // node's name doesn't resolve.
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
      daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
      nodeInfo: {
        architecture: arch,
        operatingSystem: "linux",
        osImage: "podspace test node agent",
        kernelVersion: os.release(),
        kubeletVersion: KUBE_VERSION,
        kubeProxyVersion: KUBE_VERSION,
        containerRuntimeVersion: "podspace-node-agent://1",
        machineID: name,
        systemUUID: name,
        bootID: name,
      },
    },
  };
}

function conditions(since: Date): V1NodeCondition[] {
  const now = new Date();
  const condition = (type: string, status: string, reason: string, message: string): V1NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: since,
  });
  return [
    condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
  ];
}
