// The ClusterRole in k8s/base/rbac.yaml, proven against the driver: the
// kustomization's RBAC objects are applied to a real apiserver, the driver
// runs its whole contract (prepare team, provision, start, terminal, IDE,
// stop, destroy) with the token of the service account they bind, plus the
// convergence paths of an upgrade, and the apiserver's audit log then shows
// what that account did. Every call must have been allowed, and every
// permission the role grants must have been used.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1ClusterRole,
  type V1PolicyRule,
} from "@kubernetes/client-node";
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import { SPEC_HASH_ANNOTATION } from "@/lib/runtime/kubernetes/manifests";
import type { TeamSpaceSpec, WorkspaceRuntime, WorkspaceSpec } from "@/lib/runtime/types";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";
import { kustomize } from "../helpers/kube/kustomize";
import { startNodeAgent, TEST_STORAGE_CLASS, type NodeAgent } from "../helpers/kube/node-agent";
import { contractSpec, describeRuntimeContract, waitForState } from "../runtime/contract";

const K8S = path.resolve(import.meta.dirname, "../../k8s");
const RBAC_KINDS = new Set(["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"]);
const rbacObjects = kustomize(K8S).filter((object) => RBAC_KINDS.has(object.kind!));
const role = rbacObjects.find((object) => object.kind === "ClusterRole") as V1ClusterRole;
const account = rbacObjects.find((object) => object.kind === "ServiceAccount")!;
const USERNAME = `system:serviceaccount:${account.metadata!.namespace}:${account.metadata!.name}`;

/**
 * Out of the cluster (as here, where the test can't resolve Service DNS
 * names) the driver reaches IDEs by port-forward, which the in-cluster role
 * leaves out; the test grants it separately. The README says so too.
 */
const outOfClusterRole: V1ClusterRole = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name: "podspace-test-port-forward" },
  rules: [{ apiGroups: [""], resources: ["pods/portforward"], verbs: ["get"] }],
};

/**
 * Granted for apiservers newer than the 1.20 one here: from 1.30 a
 * WebSocket exec (an HTTP GET) needs "create" as well as "get".
 */
const NEWER_APISERVERS_ONLY = new Set([" pods/exec create"]);

const auditDir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-audit-"));
const auditLog = path.join(auditDir, "audit.log");
const auditPolicy = path.join(auditDir, "policy.json");
// Metadata (who, which verb on which resource, the decision) for service
// accounts only: the controllers and the node agent act as the admin.
fs.writeFileSync(
  auditPolicy,
  JSON.stringify({
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [{ level: "Metadata", userGroups: ["system:serviceaccounts"] }, { level: "None" }],
  }),
);

let cp: ControlPlane;
let admin: KubeConfig;
let agent: NodeAgent;
let runtime: WorkspaceRuntime;
/** A Podspace process as the k8s/ service account: each knows nothing of what another applied. */
let serviceAccountRuntime: () => Promise<WorkspaceRuntime>;

beforeAll(async () => {
  cp = await startControlPlane({
    extraApiServerArgs: [`--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`, "--audit-log-format=json"],
  });
  admin = cp.kubeConfig();
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const object of [...rbacObjects, outOfClusterRole, bindingTo(outOfClusterRole)]) {
    await api.patch(object, undefined, undefined, "podspace-test", true, PatchStrategy.ServerSideApply);
  }
  agent = await startNodeAgent({ kubeConfig: admin });
  serviceAccountRuntime = async () =>
    createKubernetesRuntime({
      kubeConfig: await serviceAccountKubeConfig(),
      namespacePrefix: "podspace-",
      storageClass: TEST_STORAGE_CLASS,
      egressAllow: [],
      selfNamespace: account.metadata!.namespace!,
      inCluster: false,
    });
  runtime = await serviceAccountRuntime();
}, 180_000);

afterAll(async () => {
  await runtime?.close();
  await agent?.stop();
  await cp?.stop();
  fs.rmSync(auditDir, { recursive: true, force: true });
}, 60_000);

function bindingTo(clusterRole: V1ClusterRole): KubernetesObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: clusterRole.metadata!.name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata!.name },
    subjects: [{ kind: "ServiceAccount", name: account.metadata!.name, namespace: account.metadata!.namespace }],
  } as KubernetesObject;
}

/** A kubeconfig with the service account's token, as a pod would mount it (1.20 keeps it in a Secret). */
async function serviceAccountKubeConfig(): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  const { name, namespace } = account.metadata as { name: string; namespace: string };
  const deadline = Date.now() + 30_000;
  let secretName: string | undefined;
  while (!secretName) {
    if (Date.now() > deadline) throw new Error(`no token Secret for service account ${namespace}/${name}`);
    secretName = (await core.readNamespacedServiceAccount({ name, namespace })).secrets?.[0]?.name;
    if (!secretName) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const secret = await core.readNamespacedSecret({ name: secretName, namespace });
  const token = Buffer.from(secret.data!.token!, "base64").toString("utf8");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "test", server: cp.server, skipTLSVerify: true }],
    users: [{ name, token }],
    contexts: [{ name: "test", cluster: "test", user: name }],
    currentContext: "test",
  });
  return kc;
}

describeRuntimeContract("kubernetes, as the k8s/ service account,", async () => ({
  runtime,
  async assertNothingLeft(spec) {
    const core = admin.makeApiClient(CoreV1Api);
    const query = { namespace: `podspace-${spec.teamSlug}`, labelSelector: `podspace.dev/workspace=${spec.id}` };
    const [pods, services, claims] = await Promise.all([
      core.listNamespacedPod(query),
      core.listNamespacedService(query),
      core.listNamespacedPersistentVolumeClaim(query),
    ]);
    expect([...pods.items, ...services.items, ...claims.items]).toEqual([]);
  },
  async teardown() {},
}));

describe("kubernetes driver as the k8s/ service account", { timeout: 120_000 }, () => {
  it("converges what an older Podspace created (every update path)", async () => {
    const team: TeamSpaceSpec = {
      slug: "upgrade",
      limits: { cpuMillicores: 4000, memoryMiB: 8192, storageGiB: 20, workspaces: 5, runningWorkspaces: 3 },
    };
    const spec: WorkspaceSpec = { ...contractSpec(`u${Date.now().toString(36)}`), teamSlug: team.slug };
    await runtime.prepareTeam(team);
    await runtime.provision(spec);

    // As if an older version had made them: each hash differs from today's.
    const api = KubernetesObjectApi.makeApiClient(admin);
    const namespace = "podspace-upgrade";
    const made: KubernetesObject[] = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
      { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "podspace", namespace } },
      { apiVersion: "v1", kind: "LimitRange", metadata: { name: "podspace-defaults", namespace } },
      { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "podspace-isolation", namespace } },
      { apiVersion: "v1", kind: "Service", metadata: { name: `ws-${spec.id}`, namespace } },
      { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: `ws-${spec.id}-home`, namespace } },
    ];
    const hashes = async () =>
      Promise.all(made.map(async (object) => (await api.read(object as KubernetesObject & { metadata: { name: string } })).metadata?.annotations?.[SPEC_HASH_ANNOTATION]));
    const current = await hashes();
    for (const object of made) {
      const stale = { ...object, metadata: { ...object.metadata, annotations: { [SPEC_HASH_ANNOTATION]: "older" } } };
      await api.patch(stale, undefined, undefined, "older-podspace", undefined, PatchStrategy.MergePatch);
    }

    // The newer Podspace is a new process.
    const upgraded = await serviceAccountRuntime();
    try {
      await upgraded.prepareTeam(team);
      await upgraded.provision(spec);
      expect(await hashes()).toEqual(current);
    } finally {
      await upgraded.close();
    }

    await runtime.destroy(spec);
    await waitForState(runtime, spec, "absent");
  });

  it("hands a claimed warm pool workspace over: its pod, Service and volume are relabelled for the new owner", async () => {
    const pooled: WorkspaceSpec = contractSpec(`w${Date.now().toString(36)}`, { ownerId: "pool-account" });
    await runtime.prepareTeam({
      slug: pooled.teamSlug,
      limits: { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null },
    });
    await runtime.provision(pooled);
    await runtime.start(pooled);

    const claimed = { ...pooled, ownerId: "user-2" };
    await runtime.handOver(claimed);

    const core = admin.makeApiClient(CoreV1Api);
    const namespace = `podspace-${pooled.teamSlug}`;
    const objects = await Promise.all([
      core.readNamespacedPod({ namespace, name: `ws-${pooled.id}` }),
      core.readNamespacedService({ namespace, name: `ws-${pooled.id}` }),
      core.readNamespacedPersistentVolumeClaim({ namespace, name: `ws-${pooled.id}-home` }),
    ]);
    expect(objects.map((object) => `${object.metadata?.name} ${object.metadata?.labels?.["podspace.dev/user"]}`)).toEqual([
      `ws-${pooled.id} user-2`,
      `ws-${pooled.id} user-2`,
      `ws-${pooled.id}-home user-2`,
    ]);
    await runtime.destroy(claimed);
    await waitForState(runtime, claimed, "absent");
  });

  it("runs a tool on a workspace's home (a backup's pod, its Secret and its log)", async () => {
    const spec: WorkspaceSpec = contractSpec(`h${Date.now().toString(36)}`);
    await runtime.prepareTeam({
      slug: spec.teamSlug,
      limits: { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null },
    });
    await runtime.provision(spec);
    const lines: string[] = [];
    const result = await runtime.runOnHome(spec, {
      command: ["sh", "-c", 'echo "$GREETING"'],
      env: { GREETING: "from the Secret" },
      hostPaths: [],
      access: "read",
      onStdoutLine: (line) => lines.push(line),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(lines).toEqual(["from the Secret"]);
    await runtime.destroy(spec);
    await waitForState(runtime, spec, "absent");
  });
});

interface AuditEvent {
  auditID: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/** "group resource[/subresource] verb", the unit RBAC grants. */
function permission(group: string, resource: string, verb: string): string {
  return `${group} ${resource} ${verb}`;
}

function granted(rules: V1PolicyRule[]): Set<string> {
  const permissions = new Set<string>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) for (const verb of rule.verbs) permissions.add(permission(group, resource, verb));
    }
  }
  return permissions;
}

describe("the k8s/ ClusterRole", () => {
  it("allowed every call the driver made, and grants nothing it did not use", async () => {
    await runtime.close(); // ends the watches, so their requests complete
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const events = fs
      .readFileSync(auditLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditEvent)
      .filter((event) => event.user.username === USERNAME);
    expect(events.length).toBeGreaterThan(0);

    const refused = events.filter((event) => event.responseStatus?.code === 403 || event.annotations?.["authorization.k8s.io/decision"] === "forbid");
    expect(refused.map((event) => `${event.verb} ${event.requestURI}`)).toEqual([]);

    const used = new Set<string>();
    for (const event of events) {
      if (!event.objectRef?.resource) {
        // Only API discovery, which every authenticated user may read.
        expect(event.requestURI).toMatch(/^\/(api|apis)(\/|$)/);
        continue;
      }
      const { apiGroup = "", resource, subresource } = event.objectRef;
      used.add(permission(apiGroup, subresource ? `${resource}/${subresource}` : resource, event.verb));
    }
    const grants = granted([...role.rules!, ...outOfClusterRole.rules!]);
    expect([...used].sort()).toEqual([...grants].filter((grant) => !NEWER_APISERVERS_ONLY.has(grant)).sort());
  });

  it("refuses what the driver never needs", async () => {
    const core = (await serviceAccountKubeConfig()).makeApiClient(CoreV1Api);
    const status = (promise: Promise<unknown>) => promise.then(() => 200, (error: { code?: number }) => error.code);
    expect(await status(core.listSecretForAllNamespaces())).toBe(403);
    expect(await status(core.deleteNamespace({ name: "kube-system" }))).toBe(403);
    expect(await status(core.listNode())).toBe(403);
  });
});
