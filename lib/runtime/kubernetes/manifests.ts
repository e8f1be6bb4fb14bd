import crypto from "node:crypto";
import type {
  KubernetesObject,
  V1LimitRange,
  V1Namespace,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
  V1Pod,
  V1ResourceQuota,
  V1Secret,
  V1Service,
} from "@kubernetes/client-node";
import { ideArgv, startupCommand } from "../startup-command";
import type { TeamSpaceSpec, WorkspaceSpec } from "../types";
import {
  CONTAINER_NAME,
  HOME_DIR,
  MANAGED_BY,
  TEAM_LABEL,
  podSelector,
  teamNamespace,
  workspaceLabels,
  workspaceRef,
} from "./names";

// Pure functions from Podspace's specs to the Kubernetes objects that run
// them. Each object carries a hash of itself, so the driver can tell whether
// an object that already exists is the one it would create.

export const SPEC_HASH_ANNOTATION = "podspace.dev/spec-hash";

/**
 * The label Podspace's own namespace must carry (the k8s/ manifests set it):
 * team namespaces admit traffic only from namespaces with it. Kubernetes
 * 1.20 does not label namespaces with `kubernetes.io/metadata.name`, so a
 * name-based selector alone would admit nobody there.
 */
export const CONTROL_PLANE_NAMESPACE_LABEL = { "podspace.dev/role": "control-plane" } as const;

/**
 * Ranges a workspace must not reach: the cluster's pods and services, node
 * and cloud metadata endpoints. Azure's host endpoint (WireServer, whose
 * agent plugin hands a node's provisioning settings to whoever asks) is a
 * public address, hence its own entry; the cluster's DNS, not the pods,
 * forwards to it.
 */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "168.63.129.16/32"];

/** The user and group a workspace's processes run as; its home's files are theirs. */
export const WORKSPACE_USER = 1000;
export const WORKSPACE_GROUP = 1000;

/** What a container in a team namespace gets when it names no resources, so the quota still admits it. */
const CONTAINER_DEFAULTS = { cpu: "250m", memory: "256Mi" };

export interface TeamManifestOptions {
  namespacePrefix: string;
  selfNamespace: string;
  egressAllow: string[];
  /** The port of Podspace's pods that serves the AI gateway alone, which workspaces may reach; unset when the gateway is off. */
  aiPort?: number;
}

/** Podspace's server pods (k8s/base/deployment.yaml's labels). */
export const PODSPACE_SERVER_LABELS = { "app.kubernetes.io/name": "podspace", "app.kubernetes.io/component": "server" };

/**
 * How long a pod in a team namespace may run when it isn't a workspace's (a
 * backup's or a restore's): its deadline keeps it out of the compute quota,
 * scoped to pods without one, and ends a tool that hangs.
 */
export const TOOL_POD_DEADLINE_SECONDS = 24 * 60 * 60;

export interface TeamManifests {
  namespace: V1Namespace;
  /**
   * The team's running workspaces and their cpu and memory. Scoped to pods
   * without a deadline (NotTerminating), which Podspace's own short-lived
   * pods have (TOOL_POD_DEADLINE_SECONDS): a backup must neither be refused
   * because the team's workspaces use its limits, nor take a share of them
   * that would refuse a workspace's start. Scopes are immutable, hence a
   * quota of its own.
   */
  computeQuota: V1ResourceQuota;
  /** The team's home volumes: how many, and their size together. */
  storageQuota: V1ResourceQuota;
  limitRange: V1LimitRange;
  networkPolicy: V1NetworkPolicy;
}

export function teamManifests(team: TeamSpaceSpec, options: TeamManifestOptions): TeamManifests {
  const namespace = teamNamespace(options.namespacePrefix, team.slug);
  const labels = { ...MANAGED_BY, [TEAM_LABEL]: team.slug };
  const meta = (name: string) => ({ name, namespace, labels });
  return {
    namespace: withSpecHash({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } }),
    computeQuota: withSpecHash({
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: meta("podspace-compute"),
      spec: { scopes: ["NotTerminating"], hard: computeHard(team.limits) },
    }),
    // The name every quota had before compute moved out, so an existing one is updated in place.
    storageQuota: withSpecHash({ apiVersion: "v1", kind: "ResourceQuota", metadata: meta("podspace"), spec: { hard: storageHard(team.limits) } }),
    limitRange: withSpecHash({
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta("podspace-defaults"),
      spec: { limits: [{ type: "Container", _default: CONTAINER_DEFAULTS, defaultRequest: CONTAINER_DEFAULTS }] },
    }),
    networkPolicy: withSpecHash(networkPolicy(meta("podspace-isolation"), options)),
  };
}

function computeHard(limits: TeamSpaceSpec["limits"]): Record<string, string> {
  const hard: Record<string, string> = {};
  if (limits.cpuMillicores !== null) hard["requests.cpu"] = hard["limits.cpu"] = `${limits.cpuMillicores}m`;
  if (limits.memoryMiB !== null) hard["requests.memory"] = hard["limits.memory"] = `${limits.memoryMiB}Mi`;
  // A running workspace is one pod.
  if (limits.runningWorkspaces !== null) hard.pods = String(limits.runningWorkspaces);
  return hard;
}

function storageHard(limits: TeamSpaceSpec["limits"]): Record<string, string> {
  const hard: Record<string, string> = {};
  // Every workspace, running or not, holds one claim for its home.
  if (limits.workspaces !== null) hard.persistentvolumeclaims = String(limits.workspaces);
  if (limits.storageGiB !== null) hard["requests.storage"] = `${limits.storageGiB}Gi`;
  return hard;
}

function networkPolicy(metadata: V1NetworkPolicy["metadata"], options: TeamManifestOptions): V1NetworkPolicy {
  const dnsPort = (protocol: string) => ({ protocol, port: 53 });
  const egress: NonNullable<V1NetworkPolicy["spec"]>["egress"] = [
    { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_RANGES } }] },
    {
      // By name where Kubernetes labels namespaces with it (1.21+); by the
      // DNS pods' conventional label where it does not.
      to: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } },
        { namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
      ],
      ports: [dnsPort("UDP"), dnsPort("TCP")],
    },
  ];
  if (options.egressAllow.length > 0) egress.push({ to: options.egressAllow.map((cidr) => ({ ipBlock: { cidr } })) });
  if (options.aiPort !== undefined) {
    // Podspace's pods by their labels, on the AI port only: the gateway, and
    // nothing else of Podspace's. Its namespace is found as the ingress rule
    // finds it, by the control-plane label too: 1.20 sets no name label.
    egress.push({
      to: [CONTROL_PLANE_NAMESPACE_LABEL, { "kubernetes.io/metadata.name": options.selfNamespace }].map((namespaceLabels) => ({
        namespaceSelector: { matchLabels: namespaceLabels },
        podSelector: { matchLabels: PODSPACE_SERVER_LABELS },
      })),
      ports: [{ protocol: "TCP", port: options.aiPort }],
    });
  }
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata,
    spec: {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          _from: [
            { namespaceSelector: { matchLabels: CONTROL_PLANE_NAMESPACE_LABEL } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": options.selfNamespace } } },
          ],
        },
      ],
      egress,
    },
  };
}

export function homeClaimManifest(spec: WorkspaceSpec, options: { namespacePrefix: string; storageClass?: string }): V1PersistentVolumeClaim {
  const ref = workspaceRef(options.namespacePrefix, spec);
  return withSpecHash({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: ref.claim, namespace: ref.namespace, labels: workspaceLabels(spec) },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: `${spec.resources.diskGiB}Gi` } },
      ...(options.storageClass ? { storageClassName: options.storageClass } : {}),
    },
  });
}

export function serviceManifest(spec: WorkspaceSpec, options: { namespacePrefix: string }): V1Service {
  const ref = workspaceRef(options.namespacePrefix, spec);
  return withSpecHash({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: ref.service, namespace: ref.namespace, labels: workspaceLabels(spec) },
    spec: {
      type: "ClusterIP",
      selector: podSelector(spec.id),
      ports: [{ name: "ide", protocol: "TCP", port: spec.ide.port, targetPort: spec.ide.port }],
    },
  });
}

/**
 * The workspace's secret environment (its AI key), which the pod reads by
 * reference: a pod's spec is readable by whoever may list pods (a cluster's
 * viewers), a Secret's is not. Not hashed: made afresh at every start.
 */
export function envSecretManifest(spec: WorkspaceSpec, options: { namespacePrefix: string }): V1Secret {
  const ref = workspaceRef(options.namespacePrefix, spec);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: ref.envSecret, namespace: ref.namespace, labels: workspaceLabels(spec) },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(spec.secretEnv ?? {}).map(([name, value]) => [name, Buffer.from(value).toString("base64")])),
  };
}

export function podManifest(spec: WorkspaceSpec, options: { namespacePrefix: string }): V1Pod {
  const ref = workspaceRef(options.namespacePrefix, spec);
  const compute = { cpu: `${spec.resources.cpuMillicores}m`, memory: `${spec.resources.memoryMiB}Mi` };
  // Secret values by reference (envSecretManifest); HOME last: a template's env must not move the home away from the volume.
  const env = Object.entries({
    ...Object.fromEntries(Object.entries(spec.env).map(([name, value]) => [name, { value }])),
    ...Object.fromEntries(Object.keys(spec.secretEnv ?? {}).map((name) => [name, { valueFrom: { secretKeyRef: { name: ref.envSecret, key: name } } }])),
    HOME: { value: HOME_DIR },
  })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, source]) => ({ name, ...source }));
  const scheduling = spec.scheduling ?? {};
  return withSpecHash({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: ref.pod, namespace: ref.namespace, labels: workspaceLabels(spec) },
    spec: {
      restartPolicy: "Always",
      // The workspace's user must not get credentials for the cluster, nor a
      // map of the namespace's services in their environment.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: WORKSPACE_USER,
        runAsGroup: WORKSPACE_GROUP,
        fsGroup: WORKSPACE_GROUP,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: CONTAINER_NAME,
          image: spec.image,
          command: startupCommand(spec, ideArgv(spec, { host: "0.0.0.0", port: spec.ide.port })),
          workingDir: HOME_DIR,
          env,
          ports: [{ name: "ide", containerPort: spec.ide.port, protocol: "TCP" }],
          // Requests equal limits: the quota counts what the workspace may
          // actually use, and the scheduler never overcommits a node with it.
          resources: { requests: compute, limits: compute },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          // Probed every second, the least Kubernetes allows: a person is watching the start and waits on this.
          readinessProbe: { httpGet: { path: spec.ide.healthPath, port: spec.ide.port }, periodSeconds: 1 },
          volumeMounts: [{ name: "home", mountPath: HOME_DIR }],
        },
      ],
      volumes: [{ name: "home", persistentVolumeClaim: { claimName: ref.claim } }],
      ...(scheduling.imagePullSecrets?.length ? { imagePullSecrets: scheduling.imagePullSecrets.map((name) => ({ name })) } : {}),
      ...(scheduling.nodeSelector && Object.keys(scheduling.nodeSelector).length > 0 ? { nodeSelector: scheduling.nodeSelector } : {}),
      ...(scheduling.tolerations?.length ? { tolerations: scheduling.tolerations } : {}),
    },
  });
}

/** The hash an object was created from, or undefined for objects Podspace did not make. */
export function specHashOf(object: KubernetesObject): string | undefined {
  return object.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
}

function withSpecHash<T extends KubernetesObject>(object: T): T {
  const hash = crypto.createHash("sha256").update(canonicalJson(object)).digest("hex").slice(0, 16);
  return { ...object, metadata: { ...object.metadata, annotations: { [SPEC_HASH_ANNOTATION]: hash } } };
}

/** JSON with sorted keys: maps such as nodeSelector must hash the same whatever order they were built in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
