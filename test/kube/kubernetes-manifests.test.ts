// The Kubernetes driver's manifests, checked against the real apiserver:
// each object, as client-node puts it on the wire, must match the apiserver's
// own OpenAPI schema with no unknown field (1.20 drops unknown fields
// silently, so a typo would otherwise pass unnoticed), and must be accepted
// by a dry-run create. Plus the properties that matter for safety.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { ObjectSerializer } from "@kubernetes/client-node/dist/serializer.js";
import {
  CONTROL_PLANE_NAMESPACE_LABEL,
  PRIVATE_RANGES,
  SPEC_HASH_ANNOTATION,
  envSecretManifest,
  homeClaimManifest,
  podManifest,
  serviceManifest,
  teamManifests,
} from "@/lib/runtime/kubernetes/manifests";
import type { TeamSpaceSpec, WorkspaceSpec } from "@/lib/runtime/types";
import { useControlPlane } from "../helpers/kube/use-control-plane";

const SLOW = { timeout: 120_000 };
const options = { namespacePrefix: "podspace-", selfNamespace: "podspace", egressAllow: ["10.20.0.0/16"], storageClass: "fast" };

const team: TeamSpaceSpec = {
  slug: "ml",
  limits: { cpuMillicores: 8000, memoryMiB: 16384, storageGiB: 100, workspaces: 10, runningWorkspaces: null },
};

const spec: WorkspaceSpec = {
  id: "abc123",
  name: "my workspace",
  teamSlug: "ml",
  ownerId: "user1",
  templateSlug: "python",
  templateVersion: 3,
  image: "ghcr.io/podspace/python:3.12",
  resources: { cpuMillicores: 1500, memoryMiB: 2048, diskGiB: 10 },
  env: { EDITOR: "vim", HOME: "/somewhere/else" },
  secretEnv: { OPENAI_API_KEY: "pdsai_abc123.secret" },
  startupScript: "pip install --user numpy",
  ide: { command: ["code-server", "--bind-addr", "{host}:{port}", "--auth", "none"], port: 13337, healthPath: "/healthz" },
  scheduling: {
    imagePullSecrets: ["registry-creds"],
    nodeSelector: { "podspace.dev/pool": "workspaces" },
    tolerations: [{ key: "podspace.dev/workspaces", operator: "Exists", effect: "NoSchedule" }],
  },
};

function allManifests(): KubernetesObject[] {
  const teamObjects = teamManifests(team, options);
  return [
    teamObjects.namespace,
    teamObjects.computeQuota,
    teamObjects.storageQuota,
    teamObjects.limitRange,
    teamObjects.networkPolicy,
    homeClaimManifest(spec, options),
    serviceManifest(spec, options),
    envSecretManifest(spec, options),
    podManifest(spec, options),
  ];
}

/** The JSON client-node sends for `object`: its models rename a few fields (`_from` → `from`). */
function onTheWire(object: KubernetesObject): unknown {
  return JSON.parse(JSON.stringify(ObjectSerializer.serialize(object, `V1${object.kind}`)));
}

describe("kubernetes manifests against the apiserver", () => {
  const kube = useControlPlane();

  it("sends every field it builds (nothing is dropped by client-node's serializer)", () => {
    for (const object of allManifests()) {
      expect(ObjectSerializer.deserialize(onTheWire(object), `V1${object.kind}`)).toEqual(object);
    }
  });

  it("matches the apiserver's OpenAPI schema, with no unknown fields", SLOW, () => {
    for (const object of allManifests()) {
      expect({ kind: object.kind, errors: kube.schema.errors(onTheWire(object)) }).toEqual({ kind: object.kind, errors: [] });
    }
  });

  it("catches an unknown field (the validation is strict)", SLOW, () => {
    const pod = onTheWire(podManifest(spec, options)) as { spec: { containers: Record<string, unknown>[] } };
    pod.spec.containers[0]!.imagePullPolicyy = "Always";
    expect(kube.schema.errors(pod)).toEqual([expect.objectContaining({ params: { additionalProperty: "imagePullPolicyy" } })]);
  });

  it("is accepted by a dry-run create", SLOW, async () => {
    const objects = KubernetesObjectApi.makeApiClient(kube.kc);
    const [namespace, ...namespaced] = allManifests();
    await objects.create(namespace!, undefined, "All");
    // The rest need the namespace to exist (and pods, its default ServiceAccount).
    await objects.create(namespace!);
    await kube.cp.waitForDefaultServiceAccount(namespace!.metadata!.name!);
    for (const object of namespaced) await objects.create(object, undefined, "All");
    const core = kube.kc.makeApiClient(CoreV1Api);
    expect((await core.listNamespacedPod({ namespace: "podspace-ml" })).items).toEqual([]);
  });
});

describe("kubernetes workspace pod", () => {
  const pod = podManifest(spec, options);
  const container = pod.spec!.containers[0]!;

  it("runs unprivileged, without cluster credentials or service links", () => {
    expect(pod.spec).toMatchObject({
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: "Always",
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
    });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(container.resources).toEqual({
      requests: { cpu: "1500m", memory: "2048Mi" },
      limits: { cpu: "1500m", memory: "2048Mi" },
    });
  });

  it("is labelled for Podspace and selected by its Service", () => {
    expect(pod.metadata).toMatchObject({
      name: "ws-abc123",
      namespace: "podspace-ml",
      labels: {
        "app.kubernetes.io/name": "podspace-workspace",
        "app.kubernetes.io/instance": "abc123",
        "app.kubernetes.io/managed-by": "podspace",
        "app.kubernetes.io/component": "workspace",
        "podspace.dev/workspace": "abc123",
        "podspace.dev/team": "ml",
        "podspace.dev/user": "user1",
        "podspace.dev/template": "python",
      },
    });
    const service = serviceManifest(spec, options);
    expect(Object.entries(service.spec!.selector!).every(([key, value]) => pod.metadata!.labels![key] === value)).toBe(true);
    expect(service.spec!.ports).toEqual([{ name: "ide", protocol: "TCP", port: 13337, targetPort: 13337 }]);
  });

  it("mounts the home volume at HOME, which the template's env can't move", () => {
    expect(container.volumeMounts).toEqual([{ name: "home", mountPath: "/home/coder" }]);
    expect(pod.spec!.volumes).toEqual([{ name: "home", persistentVolumeClaim: { claimName: "ws-abc123-home" } }]);
    expect(container.env).toEqual([
      { name: "EDITOR", value: "vim" },
      { name: "HOME", value: "/home/coder" },
      { name: "OPENAI_API_KEY", valueFrom: { secretKeyRef: { name: "ws-abc123-env", key: "OPENAI_API_KEY" } } },
    ]);
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/healthz", port: 13337 });
    expect(container.ports).toEqual([{ name: "ide", containerPort: 13337, protocol: "TCP" }]);
  });

  it("holds no secret value: the AI key is in the workspace's Secret, read by reference", () => {
    expect(JSON.stringify(pod)).not.toContain("pdsai_abc123.secret");
    const secret = envSecretManifest(spec, options);
    expect(secret.metadata).toMatchObject({ name: "ws-abc123-env", namespace: "podspace-ml", labels: { "podspace.dev/workspace": "abc123" } });
    expect(Buffer.from(secret.data!.OPENAI_API_KEY!, "base64").toString()).toBe("pdsai_abc123.secret");
  });

  it("carries the template's scheduling settings, naming pull secrets only by reference", () => {
    expect(pod.spec).toMatchObject({
      imagePullSecrets: [{ name: "registry-creds" }],
      nodeSelector: { "podspace.dev/pool": "workspaces" },
      tolerations: [{ key: "podspace.dev/workspaces", operator: "Exists", effect: "NoSchedule" }],
    });
    const plain = podManifest({ ...spec, scheduling: undefined }, options);
    expect(plain.spec).not.toHaveProperty("imagePullSecrets");
    expect(plain.spec).not.toHaveProperty("nodeSelector");
    expect(plain.spec).not.toHaveProperty("tolerations");
  });

  it("runs the startup script verbatim (quotes, $) and then the IDE with host and port filled in", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-command-"));
    try {
      const tricky: WorkspaceSpec = {
        ...spec,
        startupScript: `echo "it's \${HOME##*/}" > out.txt\nprintf '%s\\n' '$NOT_EXPANDED' "a\\"b" >> out.txt # comment`,
        ide: { ...spec.ide, command: ["sh", "-c", 'printf "%s" "$1" > ide.txt', "ide", "--bind={host}:{port}", "it's"] },
      };
      const [file, ...args] = podManifest(tricky, options).spec!.containers[0]!.command!;
      const run = spawnSync(file!, args, { cwd: home, env: { ...process.env, HOME: home }, encoding: "utf8" });
      expect(run.status).toBe(0);
      expect(fs.readFileSync(path.join(home, "out.txt"), "utf8")).toBe(`it's ${path.basename(home)}\n$NOT_EXPANDED\na"b\n`);
      expect(fs.readFileSync(path.join(home, "ide.txt"), "utf8")).toBe("--bind=0.0.0.0:13337");
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("changes its spec hash with the spec, and only then", () => {
    const hash = (object: KubernetesObject) => object.metadata!.annotations![SPEC_HASH_ANNOTATION];
    expect(hash(podManifest(spec, options))).toBe(hash(pod));
    // Same maps in another order: same hash.
    const reordered = { ...spec, env: { HOME: "/somewhere/else", EDITOR: "vim" } };
    expect(hash(podManifest(reordered, options))).toBe(hash(pod));
    expect(hash(podManifest({ ...spec, image: "ghcr.io/podspace/python:3.13" }, options))).not.toBe(hash(pod));
  });
});

describe("kubernetes team namespace", () => {
  const objects = teamManifests(team, options);

  it("turns the team's limits into quotas, leaving out what is unlimited, compute for workspace pods only", () => {
    expect(objects.computeQuota.spec).toEqual({
      // Pods without a deadline: the workspaces', not a backup's (TOOL_POD_DEADLINE_SECONDS).
      scopes: ["NotTerminating"],
      hard: { "requests.cpu": "8000m", "limits.cpu": "8000m", "requests.memory": "16384Mi", "limits.memory": "16384Mi" },
    });
    expect(objects.storageQuota.spec).toEqual({ hard: { persistentvolumeclaims: "10", "requests.storage": "100Gi" } });
    expect(objects.namespace.metadata).toMatchObject({
      name: "podspace-ml",
      labels: { "app.kubernetes.io/managed-by": "podspace", "podspace.dev/team": "ml" },
    });
  });

  it("admits traffic only from Podspace's namespace and blocks private ranges except DNS and the allow-list", () => {
    const policy = objects.networkPolicy.spec!;
    expect(policy.podSelector).toEqual({});
    expect(policy.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.ingress).toEqual([
      {
        _from: [
          { namespaceSelector: { matchLabels: CONTROL_PLANE_NAMESPACE_LABEL } },
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "podspace" } } },
        ],
      },
    ]);
    expect(policy.egress![0]).toEqual({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_RANGES } }] });
    // Every cloud's metadata endpoint: 169.254.169.254 (AWS, GCP, Azure, OpenStack…), Alibaba's in 100.64/10, Azure's WireServer.
    expect(PRIVATE_RANGES).toEqual(expect.arrayContaining(["169.254.0.0/16", "100.64.0.0/10", "168.63.129.16/32"]));
    expect(policy.egress![1]!.ports).toEqual([
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
    expect(policy.egress![2]).toEqual({ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }] });
    expect(teamManifests(team, { ...options, egressAllow: [] }).networkPolicy.spec!.egress).toHaveLength(2);
  });

  it("lets workspaces reach Podspace's AI port, and no other of its ports, when the AI gateway is on", () => {
    const egress = teamManifests(team, { ...options, egressAllow: [], aiPort: 3001 }).networkPolicy.spec!.egress!;
    expect(egress).toHaveLength(3);
    const server = { matchLabels: { "app.kubernetes.io/name": "podspace", "app.kubernetes.io/component": "server" } };
    expect(egress[2]).toEqual({
      // Podspace's namespace as the ingress rule names it: by its label (1.20), or by name (1.21+).
      to: [
        { namespaceSelector: { matchLabels: CONTROL_PLANE_NAMESPACE_LABEL }, podSelector: server },
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "podspace" } }, podSelector: server },
      ],
      ports: [{ protocol: "TCP", port: 3001 }],
    });
  });
});
