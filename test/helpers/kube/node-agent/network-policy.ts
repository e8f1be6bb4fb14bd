// NetworkPolicy semantics, compiled into one nftables table for the pods of
// this node. Pure: the enforcer (policy-enforcer.ts) feeds it what it
// watches and loads the result with `nft -f`. What it implements, as the
// Kubernetes API reference and the NetworkPolicy concept page define it:
//
// - A pod is isolated for ingress (egress) when at least one policy in its
//   namespace selects it with spec.podSelector and lists Ingress (Egress) in
//   policyTypes. An unset policyTypes means Ingress, plus Egress when the
//   policy has egress rules. A pod no policy isolates in a direction allows
//   everything in that direction.
// - An isolated pod allows a connection when any rule of any policy that
//   isolates it matches (policies add up). A policy with no rules in that
//   direction allows nothing (default deny).
// - A rule matches when a peer matches (no `from`/`to` at all: every peer)
//   and a port matches (no `ports`: every port and protocol).
// - Peers: podSelector alone selects pods in the policy's namespace;
//   namespaceSelector alone every pod in the namespaces it selects; both
//   together, the pods that match the podSelector in those namespaces;
//   ipBlock a CIDR minus its `except` CIDRs, applied to pod IPs too.
// - Ports: protocol (TCP when unset) and port, or port..endPort; no port
//   means every port of the protocol. Named ports are not implemented: a
//   port given by name matches nothing (and is reported), so a policy that
//   uses one allows less, never more.
// - A connection between two pods needs the sender's egress and the
//   receiver's ingress to allow it; replies to an allowed connection are
//   always allowed (conntrack).
// - Traffic between a pod and its node is always allowed, as the API
//   documents: it is routed through the host's input and output hooks,
//   never the forward hook these rules sit on. A pod's traffic to itself
//   never leaves its namespace.
// - Pods without an IP, finished pods (Succeeded/Failed: their IP is free)
//   and hostNetwork pods are no peers' members. IPv6 blocks match nothing:
//   the pod network is IPv4 only.
import type { V1Namespace, V1NetworkPolicy, V1NetworkPolicyPeer, V1NetworkPolicyPort, V1Pod } from "@kubernetes/client-node";
import { matchesSelector } from "./label-selector";

export interface ClusterState {
  policies: Iterable<V1NetworkPolicy>;
  pods: Iterable<V1Pod>;
  namespaces: Iterable<V1Namespace>;
}

export interface CompiledPolicies {
  /** An `nft -f` script that replaces the whole table in one transaction. */
  script: string;
  /** Policy features this compiler does not implement, as found in the current policies. */
  unsupported: string[];
}

type Direction = "Ingress" | "Egress";

/** Which address of a packet names the peer: the source of what comes in, the destination of what goes out. */
const PEER_ADDRESS: Record<Direction, string> = { Ingress: "saddr", Egress: "daddr" };

export function compilePolicies(table: string, nodeName: string, state: ClusterState): CompiledPolicies {
  const pods = [...state.pods].filter(hasPodIP);
  const policies = [...state.policies];
  const namespaceLabels = new Map([...state.namespaces].map((ns) => [ns.metadata!.name!, ns.metadata?.labels]));
  const unsupported = new Set<string>();

  const selectedPeers = (peer: V1NetworkPolicyPeer, policyNamespace: string): string[] =>
    pods
      .filter((pod) => {
        const namespace = pod.metadata!.namespace!;
        const inNamespace = peer.namespaceSelector
          ? matchesSelector(peer.namespaceSelector, namespaceLabels.get(namespace))
          : namespace === policyNamespace;
        return inNamespace && (!peer.podSelector || matchesSelector(peer.podSelector, pod.metadata?.labels));
      })
      .map((pod) => pod.status!.podIP!);

  /** nft matches for one peer; none when it matches no address. */
  const peerMatches = (peer: V1NetworkPolicyPeer, policyNamespace: string, address: string): string[] => {
    if (peer.ipBlock) {
      const { cidr, except = [] } = peer.ipBlock;
      if (!isIPv4(cidr)) return [];
      return [[`ip ${address} ${cidr}`, ...except.filter(isIPv4).map((e) => `ip ${address} != ${e}`)].join(" ")];
    }
    const ips = selectedPeers(peer, policyNamespace);
    return ips.length === 0 ? [] : [`ip ${address} { ${ips.join(", ")} }`];
  };

  const portMatches = (port: V1NetworkPolicyPort, policy: string): string[] => {
    const protocol = `meta l4proto ${(port.protocol ?? "TCP").toLowerCase()}`;
    if (port.port === undefined) return [protocol];
    if (typeof port.port === "string") {
      unsupported.add(`${policy}: named port ${port.port} (matches nothing here)`);
      return [];
    }
    const range = port.endPort === undefined ? `${port.port}` : `${port.port}-${port.endPort}`;
    return [`${protocol} th dport ${range}`];
  };

  /** One nft rule body per (peer, port) alternative the policy's rules allow. */
  const allowed = (policy: V1NetworkPolicy, direction: Direction): string[] => {
    const namespace = policy.metadata!.namespace!;
    const name = `${namespace}/${policy.metadata!.name}`;
    const rules =
      direction === "Ingress"
        ? (policy.spec?.ingress ?? []).map((rule) => ({ peers: rule._from, ports: rule.ports }))
        : (policy.spec?.egress ?? []).map((rule) => ({ peers: rule.to, ports: rule.ports }));
    return rules.flatMap(({ peers, ports }) => {
      const peerAlternatives = peers?.length ? peers.flatMap((peer) => peerMatches(peer, namespace, PEER_ADDRESS[direction])) : [""];
      const portAlternatives = ports?.length ? ports.flatMap((port) => portMatches(port, name)) : [""];
      return peerAlternatives.flatMap((peer) => portAlternatives.map((port) => `${peer} ${port}`.trim()));
    });
  };

  const chains: string[] = [];
  const jumps: Record<Direction, string[]> = { Ingress: [], Egress: [] };
  // By IP: should a pod being deleted still show the IP a new pod now has, the new pod's policies apply.
  const local = new Map<string, V1Pod>();
  for (const pod of pods.filter((p) => p.spec?.nodeName === nodeName)) {
    const ip = pod.status!.podIP!;
    if (!local.get(ip) || local.get(ip)!.metadata?.deletionTimestamp) local.set(ip, pod);
  }
  for (const [ip, pod] of local) {
    const selecting = policies.filter(
      (policy) =>
        policy.metadata?.namespace === pod.metadata!.namespace &&
        matchesSelector(policy.spec?.podSelector ?? {}, pod.metadata?.labels),
    );
    for (const direction of ["Ingress", "Egress"] as const) {
      const isolating = selecting.filter((policy) => policyTypes(policy).includes(direction));
      if (isolating.length === 0) continue;
      const chain = `${direction.toLowerCase()}_${ip.replaceAll(".", "_")}`;
      // An allowed packet returns to the base chain, where the other direction is still to be checked.
      const lines = [...isolating.flatMap((policy) => allowed(policy, direction)).map((match) => `${match} return`.trim()), "drop"];
      chains.push(`  chain ${chain} {\n${lines.map((line) => `    ${line}\n`).join("")}  }`);
      jumps[direction].push(`${ip} : jump ${chain}`);
    }
  }

  const forward = [
    // br_netfilter passes bridged IPv4 through the inet forward hook: see policy-enforcer.ts.
    "type filter hook forward priority filter; policy accept;",
    "ct state established,related accept",
    ...(jumps.Egress.length ? [`ip saddr vmap { ${jumps.Egress.join(", ")} }`] : []),
    ...(jumps.Ingress.length ? [`ip daddr vmap { ${jumps.Ingress.join(", ")} }`] : []),
  ];
  const body = [`  chain forward {\n${forward.map((line) => `    ${line}\n`).join("")}  }`, ...chains].join("\n");
  // Creating the table first makes the delete valid when it doesn't exist yet.
  const script = `table inet ${table}\ndelete table inet ${table}\ntable inet ${table} {\n${body}\n}\n`;
  return { script, unsupported: [...unsupported] };
}

/** The API's default: Ingress always, Egress when the policy has egress rules. */
function policyTypes(policy: V1NetworkPolicy): string[] {
  return policy.spec?.policyTypes ?? ["Ingress", ...(policy.spec?.egress?.length ? ["Egress"] : [])];
}

function hasPodIP(pod: V1Pod): boolean {
  const finished = pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
  return Boolean(pod.status?.podIP) && !finished && !pod.spec?.hostNetwork;
}

function isIPv4(cidr: string): boolean {
  return !cidr.includes(":");
}
