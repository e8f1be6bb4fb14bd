// The NetworkPolicy compiler of the test node agent (node-agent/network-policy.ts),
// case by case against the semantics the Kubernetes API reference gives:
// which pods a policy isolates, in which direction, and what each rule
// allows. Every script is also checked by nft itself (`nft -c`: parsed and
// validated, nothing loaded). Needs root and nft; no control plane.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { V1Namespace, V1NetworkPolicy, V1NetworkPolicySpec, V1Pod } from "@kubernetes/client-node";
import { compilePolicies, type ClusterState } from "../helpers/kube/node-agent/network-policy";

const NODE = "node-1";
const TABLE = "podspace_rules_test";

function pod(namespace: string, name: string, ip: string, labels: Record<string, string> = {}, nodeName = NODE): V1Pod {
  return {
    metadata: { namespace, name, labels },
    spec: { nodeName, containers: [] },
    status: { phase: "Running", podIP: ip },
  };
}

function policy(namespace: string, name: string, spec: V1NetworkPolicySpec): V1NetworkPolicy {
  return { metadata: { namespace, name }, spec };
}

function namespace(name: string, labels: Record<string, string> = {}): V1Namespace {
  return { metadata: { name, labels } };
}

const namespaces = [namespace("team", { tier: "team" }), namespace("ops", { tier: "ops" })];
const web = pod("team", "web", "10.244.0.2", { app: "web" });
const db = pod("team", "db", "10.244.0.3", { app: "db" });
const tool = pod("ops", "tool", "10.244.0.4", { app: "tool" });
const elsewhere = pod("ops", "elsewhere", "10.244.9.9", { app: "web" }, "node-2");

/** Compiles, has nft validate the script, and returns each isolated pod's chain as its lines. */
function compile(state: Partial<ClusterState>) {
  const { script, unsupported } = compilePolicies(TABLE, NODE, {
    policies: [],
    pods: [web, db, tool, elsewhere],
    namespaces,
    ...state,
  });
  execFileSync("nft", ["-c", "-f", "-"], { input: script });
  const chains: Record<string, string[]> = {};
  for (const [, name, body] of script.matchAll(/^ {2}chain (\w+) \{\n([\s\S]*?)\n {2}\}$/gm)) {
    if (name !== "forward") chains[name!] = body!.trim().split("\n").map((line) => line.trim());
  }
  return { script, chains, unsupported };
}

describe("node agent NetworkPolicy compiler", () => {
  it("isolates nobody without policies", () => {
    const { script, chains } = compile({});
    expect(chains).toEqual({});
    expect(script).not.toContain("vmap");
  });

  it("defaults policyTypes to Ingress, plus Egress when there are egress rules", () => {
    const ingressOnly = compile({ policies: [policy("team", "p", { podSelector: { matchLabels: { app: "db" } } })] });
    // No rules: default deny for the selected pod only.
    expect(ingressOnly.chains).toEqual({ ingress_10_244_0_3: ["drop"] });

    const both = compile({ policies: [policy("team", "p", { podSelector: {}, egress: [{}] })] });
    expect(Object.keys(both.chains).sort()).toEqual(["egress_10_244_0_2", "egress_10_244_0_3", "ingress_10_244_0_2", "ingress_10_244_0_3"]);
    expect(both.chains.egress_10_244_0_2).toEqual(["return", "drop"]); // an empty rule allows everything

    const egressOnly = compile({ policies: [policy("team", "p", { podSelector: {}, policyTypes: ["Egress"] })] });
    expect(Object.keys(egressOnly.chains).sort()).toEqual(["egress_10_244_0_2", "egress_10_244_0_3"]);
  });

  it("reads peers: podSelector in the policy's namespace, namespaceSelector, both together, and ipBlock with except", () => {
    const { chains } = compile({
      policies: [
        policy("team", "p", {
          podSelector: { matchLabels: { app: "db" } },
          ingress: [
            { _from: [{ podSelector: { matchLabels: { app: "web" } } }] }, // web in team, not the one on ops
            { _from: [{ namespaceSelector: { matchLabels: { tier: "ops" } } }] }, // every pod of ops
            { _from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] } }] },
            { _from: [{ ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.1.0/24", "fd00::/8"] } }] },
            { _from: [{ ipBlock: { cidr: "fd00::/8" } }] }, // IPv6: nothing to match on an IPv4 network
          ],
        }),
      ],
    });
    expect(chains.ingress_10_244_0_3).toEqual([
      "ip saddr { 10.244.0.2 } return",
      // Pods on other nodes are peers too.
      "ip saddr { 10.244.0.4, 10.244.9.9 } return",
      "ip saddr { 10.244.0.2, 10.244.9.9 } return",
      "ip saddr 192.168.0.0/16 ip saddr != 192.168.1.0/24 return",
      "drop",
    ]);
  });

  it("reads ports: protocol, port, endPort, protocol alone; a named port matches nothing and is reported", () => {
    const { chains, unsupported } = compile({
      policies: [
        policy("team", "p", {
          podSelector: { matchLabels: { app: "web" } },
          policyTypes: ["Egress"],
          egress: [
            { to: [{ podSelector: { matchLabels: { app: "db" } } }], ports: [{ port: 5432 }, { protocol: "UDP", port: 53, endPort: 60 }] },
            { ports: [{ protocol: "SCTP" }] },
            { ports: [{ port: "http" }] },
          ],
        }),
      ],
    });
    expect(chains.egress_10_244_0_2).toEqual([
      "ip daddr { 10.244.0.3 } meta l4proto tcp th dport 5432 return",
      "ip daddr { 10.244.0.3 } meta l4proto udp th dport 53-60 return",
      "meta l4proto sctp return",
      "drop",
    ]);
    expect(unsupported).toEqual(["team/p: named port http (matches nothing here)"]);
  });

  it("adds up the policies that select a pod, and skips finished pods and peers that match no pod", () => {
    const finished: V1Pod = { ...tool, status: { ...tool.status, phase: "Succeeded" } };
    const { chains } = compile({
      pods: [web, db, finished],
      policies: [
        policy("team", "a", { podSelector: {}, ingress: [{ _from: [{ podSelector: { matchLabels: { app: "web" } } }] }] }),
        policy("team", "b", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ _from: [{ namespaceSelector: { matchLabels: { tier: "ops" } } }] }] }),
      ],
    });
    expect(chains).toEqual({
      ingress_10_244_0_2: ["ip saddr { 10.244.0.2 } return", "drop"],
      ingress_10_244_0_3: ["ip saddr { 10.244.0.2 } return", "drop"],
    });
  });
});
