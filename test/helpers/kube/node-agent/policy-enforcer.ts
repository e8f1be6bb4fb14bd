// The node's NetworkPolicy enforcement, as a network plugin's policy agent
// does it: watches NetworkPolicies, Pods and Namespaces cluster-wide (peers
// may be anywhere), and after every change loads the rules network-policy.ts
// compiles from them into nftables, as one atomic `nft -f` transaction.
// Like a real plugin, it lags the API a little: the Kubernetes docs allow a
// new pod to start before its policies apply.
//
// Why an inet table on the forward hook: pod-to-pod packets are bridged, not
// routed, and nftables' bridge family can't track connections here (`ct`
// rules fail with "Protocol error": no nf_conntrack_bridge), while replies
// must be allowed by state. br_netfilter (with
// net.bridge.bridge-nf-call-iptables=1) hands bridged IPv4 to the inet
// family's hooks, with conntrack, so the forward hook sees exactly the
// pod-to-pod traffic and `ct state` works. The sysctl is host-wide and not
// ours to change, so the agent checks it and refuses to start without it.
import fs from "node:fs";
import { CoreV1Api, NetworkingV1Api, type KubeConfig, type KubernetesObject, type V1Namespace, type V1NetworkPolicy, type V1Pod } from "@kubernetes/client-node";
import { ObjectSerializer } from "@kubernetes/client-node/dist/serializer.js";
import { describeError } from "./api";
import { run, tool } from "./host-tools";
import { compilePolicies } from "./network-policy";
import type { OrphanGuard } from "./orphan-guard";
import { startWatchLoop } from "./watch-loop";

const NFT = tool("nft");
const BRIDGE_NF_SYSCTL = "/proc/sys/net/bridge/bridge-nf-call-iptables";

export interface PolicyEnforcer {
  /** Ends the watches and deletes the table. */
  stop(): Promise<void>;
}

export async function startPolicyEnforcer(options: {
  kubeConfig: KubeConfig;
  nodeName: string;
  /** The nftables table (inet family) this agent owns. */
  table: string;
  guard: OrphanGuard;
  log(line: string): void;
}): Promise<PolicyEnforcer> {
  checkBridgeNetfilter();
  const { kubeConfig, nodeName, table, guard, log } = options;
  const deleteTable = [NFT, "delete", "table", "inet", table];
  guard.addTeardown(deleteTable);

  const policies = new Map<string, V1NetworkPolicy>();
  const pods = new Map<string, V1Pod>();
  const namespaces = new Map<string, V1Namespace>();
  let lastUnsupported = "";

  const apply = async () => {
    const compiled = compilePolicies(table, nodeName, {
      policies: policies.values(),
      pods: pods.values(),
      namespaces: namespaces.values(),
    });
    const unsupported = compiled.unsupported.join("; ");
    if (unsupported && unsupported !== lastUnsupported) log(`network policies: not implemented: ${unsupported}`);
    lastUnsupported = unsupported;
    await run([NFT, "-f", "-"], compiled.script);
  };

  // One load at a time; changes that arrive during a load are folded into the next.
  let dirty = false;
  let loading: Promise<void> | undefined;
  const drain = async () => {
    try {
      while (dirty) {
        dirty = false;
        await apply().catch((error: unknown) => log(`loading network policies: ${describeError(error)}`));
      }
    } finally {
      // Cleared in the same turn as the loop's last check, so no change falls in between.
      loading = undefined;
    }
  };
  const changed = () => {
    dirty = true;
    loading ??= drain();
  };

  // The table exists (with no pod isolated) before the first pod can start,
  // and a host where nft can't load it fails here, not silently later.
  await apply();
  const keyOf = (object: KubernetesObject) => object.metadata!.uid!;
  const mirror = <T extends KubernetesObject>(store: Map<string, T>) => ({
    onUpsert: (object: T) => {
      store.set(keyOf(object), object);
      changed();
    },
    onDelete: (object: T) => {
      store.delete(keyOf(object));
      changed();
    },
  });
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  const watches = [
    startWatchLoop<V1NetworkPolicy>({
      kubeConfig,
      path: "/apis/networking.k8s.io/v1/networkpolicies",
      list: () => networking.listNetworkPolicyForAllNamespaces(),
      decode: (object) => ObjectSerializer.deserialize(object, "V1NetworkPolicy") as V1NetworkPolicy,
      ...mirror(policies),
      log,
    }),
    startWatchLoop<V1Pod>({ kubeConfig, path: "/api/v1/pods", list: () => core.listPodForAllNamespaces(), ...mirror(pods), log }),
    startWatchLoop<V1Namespace>({ kubeConfig, path: "/api/v1/namespaces", list: () => core.listNamespace(), ...mirror(namespaces), log }),
  ];

  return {
    async stop() {
      await Promise.all(watches.map((watch) => watch.stop()));
      await loading;
      await run(deleteTable);
      guard.removeTeardown(deleteTable);
    },
  };
}

function checkBridgeNetfilter(): void {
  let value: string;
  try {
    value = fs.readFileSync(BRIDGE_NF_SYSCTL, "utf8").trim();
  } catch {
    throw new Error(`the node agent enforces NetworkPolicy through br_netfilter, which is not loaded (no ${BRIDGE_NF_SYSCTL}): modprobe br_netfilter`);
  }
  if (value !== "1") {
    throw new Error(`the node agent enforces NetworkPolicy through br_netfilter: set net.bridge.bridge-nf-call-iptables=1 (it is ${value})`);
  }
}
