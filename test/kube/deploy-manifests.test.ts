// The k8s/ kustomization a platform team applies: rendered by kubectl's own
// kustomize, checked for the properties a production install relies on,
// validated against the apiserver's strict OpenAPI schema and applied
// (server-side apply, base then the production overlay) to a real 1.20
// control plane, whose controllers then create the Deployment's pods.
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1ClusterRoleBinding,
  type V1ConfigMap,
  type V1Deployment,
  type V1Ingress,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1PodDisruptionBudget,
  type V1Service,
} from "@kubernetes/client-node";
import { envSchema, parseEnv } from "@/lib/env";
import { CONTROL_PLANE_NAMESPACE_LABEL } from "@/lib/runtime/kubernetes/manifests";
import { kustomize } from "../helpers/kube/kustomize";
import { useControlPlane } from "../helpers/kube/use-control-plane";

const K8S = path.resolve(import.meta.dirname, "../../k8s");
const SLOW = { timeout: 120_000 };

const builds = {
  base: kustomize(K8S),
  production: kustomize(path.join(K8S, "overlays/production")),
  // The same with k8s/components/ide-same-origin, k8s/components/no-preview-urls or both added, as their comments say to.
  "production, IDE on the same origin": kustomize(path.resolve(import.meta.dirname, "../fixtures/kustomize/production-same-origin")),
  "production, no preview URLs": kustomize(path.resolve(import.meta.dirname, "../fixtures/kustomize/production-no-preview")),
  "production, IDE on the same origin, no preview URLs": kustomize(path.resolve(import.meta.dirname, "../fixtures/kustomize/production-same-origin-no-preview")),
};

function only<T extends KubernetesObject>(objects: KubernetesObject[], kind: string): T {
  const found = objects.filter((object) => object.kind === kind);
  expect(found.map((object) => object.metadata?.name)).toHaveLength(1);
  return found[0] as T;
}

/** Values for the Secret keys the Deployment references, as a platform team would create them. */
const SECRET_VALUES: Record<string, string> = {
  DATABASE_URL: "postgresql://podspace:secret@postgres.example:5432/podspace",
  uri: "postgresql://podspace:secret@db.corp.example:5432/podspace",
  AUTH_SECRET: "x".repeat(44),
  PODSPACE_OIDC_PROVIDERS: '[{"id":"corp","name":"Corp SSO","issuer":"https://sso.corp.example","clientId":"podspace","clientSecret":"s"}]',
  PODSPACE_METRICS_TOKEN: "m".repeat(32),
};

/** What the downward API fills in. */
const FIELD_VALUES = (deployment: V1Deployment): Record<string, string> => ({
  "metadata.namespace": deployment.metadata!.namespace!,
  "status.podIP": "10.1.2.3",
});

/** The environment the Podspace container gets: the ConfigMap, then the Secret references. */
function containerEnvironment(objects: KubernetesObject[]): Record<string, string> {
  const deployment = only<V1Deployment>(objects, "Deployment");
  const container = deployment.spec!.template.spec!.containers[0]!;
  const configMaps = objects.filter((object): object is V1ConfigMap => object.kind === "ConfigMap");
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const configMap = configMaps.find((map) => map.metadata?.name === source.configMapRef?.name);
    expect(configMap, `ConfigMap ${source.configMapRef?.name}`).toBeDefined();
    Object.assign(environment, configMap!.data);
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    if (secret) environment[variable.name] = SECRET_VALUES[secret.key]!;
    else if (field) environment[variable.name] = FIELD_VALUES(deployment)[field]!;
    // $(NAME) expands variables defined earlier in the list, as the kubelet does.
    else environment[variable.name] = variable.value!.replace(/\$\((\w+)\)/g, (_, name: string) => environment[name] ?? `$(${name})`);
  }
  return environment;
}

describe.each(Object.entries(builds))("k8s kustomization: %s", (name, objects) => {
  const deployment = only<V1Deployment>(objects, "Deployment");
  const podSpec = deployment.spec!.template.spec!;
  const podLabels = deployment.spec!.template.metadata!.labels!;
  const container = podSpec.containers[0]!;
  const selects = (selector: Record<string, string> | undefined) =>
    Object.keys(selector ?? {}).length > 0 && Object.entries(selector!).every(([key, value]) => podLabels[key] === value);

  it("holds exactly the control plane's objects (templates/ is no cluster object), all in Podspace's namespace", () => {
    expect(objects.map((object) => object.kind).sort()).toEqual(
      ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Ingress", "Namespace", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"].sort(),
    );
    const namespace = only<V1Namespace>(objects, "Namespace");
    // Team namespaces admit the IDE proxy only from a namespace with this label.
    expect(namespace.metadata!.labels).toMatchObject(CONTROL_PLANE_NAMESPACE_LABEL);
    const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);
    for (const object of objects.filter((object) => !clusterScoped.has(object.kind!))) {
      expect(`${object.kind} ${object.metadata?.namespace}`).toBe(`${object.kind} ${namespace.metadata!.name}`);
    }
  });

  it("runs the Kubernetes runtime with a configuration lib/env.ts accepts in production", () => {
    const environment = containerEnvironment(objects);
    // Every variable is one lib/env.ts reads (a typo would be ignored silently), Node's own, or POD_IP (expanded into PODSPACE_INTERNAL_URL).
    const unknown = Object.keys(environment).filter((variable) => !(variable in envSchema.shape) && !["NODE_OPTIONS", "POD_IP"].includes(variable));
    expect(unknown).toEqual([]);
    const parsed = parseEnv(environment);
    expect(parsed).toMatchObject({ NODE_ENV: "production", PODSPACE_RUNTIME: "kubernetes", PORT: 3000 });
    expect(parsed.PODSPACE_K8S_SELF_NAMESPACE).toBe(deployment.metadata!.namespace);
    expect(parsed.KUBECONFIG).toBeUndefined(); // in-cluster: the service account's token
    expect(parsed.PODSPACE_INTERNAL_URL).toBe("http://10.1.2.3:3000");
    expect(podSpec.serviceAccountName).toBe(only(objects, "ServiceAccount").metadata!.name);
  });

  it("references secrets by name only and writes none", () => {
    expect(objects.filter((object) => object.kind === "Secret")).toEqual([]);
    const referenced = (container.env ?? []).filter((variable) => variable.valueFrom?.secretKeyRef).map((variable) => variable.name);
    expect(referenced.sort()).toEqual(["AUTH_SECRET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "PODSPACE_BACKUP_KEY", "PODSPACE_METRICS_TOKEN", "PODSPACE_OIDC_PROVIDERS"]);
    for (const configMap of objects.filter((object): object is V1ConfigMap => object.kind === "ConfigMap")) {
      expect(Object.keys(configMap.data ?? {})).not.toEqual(expect.arrayContaining(["DATABASE_URL"]));
      expect(Object.keys(configMap.data ?? {}).filter((key) => referenced.includes(key))).toEqual([]);
    }
  });

  it("runs unprivileged on a read-only root filesystem, with scratch space mounted", () => {
    expect(podSpec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((mount) => [mount.mountPath, mount.name]));
    expect(Object.keys(mounts).sort()).toEqual(["/app/.next/cache", "/tmp"]);
    for (const volume of Object.values(mounts)) expect(podSpec.volumes?.find((v) => v.name === volume)?.emptyDir).toBeDefined();
    // PODSPACE_DATA_DIR must be writable.
    expect(containerEnvironment(objects).PODSPACE_DATA_DIR).toMatch(/^\/tmp\//);
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources?.limits).toMatchObject({ memory: expect.any(String) });
  });

  it("probes liveness on /api/health and readiness on /api/ready, and spreads its replicas", () => {
    expect(container.startupProbe?.httpGet).toEqual({ path: "/api/health", port: "http" });
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/api/health", port: "http" });
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/api/ready", port: "http" });
    // http for everyone; ai for workspace pods, the AI gateway's routes alone (lib/ai/gateway-server.ts).
    expect(container.ports).toEqual([
      { name: "http", containerPort: 3000, protocol: "TCP" },
      { name: "ai", containerPort: 3001, protocol: "TCP" },
    ]);
    expect(podSpec.topologySpreadConstraints?.map((constraint) => constraint.topologyKey)).toEqual([
      "kubernetes.io/hostname",
      "topology.kubernetes.io/zone",
    ]);
    for (const constraint of podSpec.topologySpreadConstraints!) expect(selects(constraint.labelSelector?.matchLabels)).toBe(true);
    expect(deployment.spec!.strategy?.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
  });

  it("selects its pods from the Service, the disruption budget and the network policy", () => {
    const service = only<V1Service>(objects, "Service");
    expect(selects(service.spec!.selector)).toBe(true);
    expect(service.spec!.ports).toEqual([
      { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
      { name: "ai", port: 3001, targetPort: "ai", protocol: "TCP" },
    ]);
    const budget = only<V1PodDisruptionBudget>(objects, "PodDisruptionBudget");
    expect(selects(budget.spec!.selector?.matchLabels)).toBe(true);
    expect(budget.spec!.minAvailable).toBe(1);
    expect(deployment.spec!.replicas).toBeGreaterThan(1);
    const policy = only<V1NetworkPolicy>(objects, "NetworkPolicy");
    expect(selects(policy.spec!.podSelector?.matchLabels)).toBe(true);
    expect(policy.spec!.ingress).toEqual([
      { ports: [{ port: "http", protocol: "TCP" }] },
      { from: [{ namespaceSelector: {} }], ports: [{ port: "ai", protocol: "TCP" }] },
    ]);
  });

  it("routes the Ingress for PODSPACE_URL's host, the IDEs' (unless same-origin) and preview URLs' (unless dropped) with WebSocket timeouts and replica affinity", () => {
    const ingress = only<V1Ingress>(objects, "Ingress");
    expect(ingress.metadata!.annotations).toMatchObject({
      "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
      "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
      "nginx.ingress.kubernetes.io/affinity": "cookie",
    });
    const environment = parseEnv(containerEnvironment(objects));
    // nginx refuses a larger body with a 413 page of its own before Podspace sees it.
    const bodySize = /^(\d+)m$/.exec(ingress.metadata!.annotations!["nginx.ingress.kubernetes.io/proxy-body-size"]!);
    expect(Number(bodySize?.[1])).toBeGreaterThanOrEqual(environment.PODSPACE_API_MAX_UPLOAD_MB);
    const host = new URL(environment.PODSPACE_URL).host;
    const ideHost = environment.PODSPACE_IDE_HOST;
    // The component that drops their route turns preview URLs off in the app too.
    const previewHost = environment.PODSPACE_PREVIEW_HOST;
    expect(previewHost === null).toBe(name.endsWith("no preview URLs"));
    const routed = [
      { host, secretName: "podspace-tls" },
      ...(ideHost ? [{ host: ideHost, secretName: "podspace-ide-tls" }] : []),
      ...(previewHost ? [{ host: previewHost, secretName: "podspace-preview-tls" }] : []),
    ];
    expect(ingress.spec!.rules!.map((rule) => rule.host)).toEqual(routed.map((route) => route.host));
    expect(ingress.spec!.tls).toEqual(routed.map(({ host, secretName }) => ({ hosts: [host], secretName })));
    for (const rule of ingress.spec!.rules!) {
      expect(rule.http!.paths).toEqual([
        { path: "/", pathType: "Prefix", backend: { service: { name: only(objects, "Service").metadata!.name, port: { name: "http" } } } },
      ]);
    }
    expect(ideHost === null).toBe(name.startsWith("production, IDE on the same origin"));
    if (ideHost) expect(ideHost).toBe(`*.ide.${new URL(environment.PODSPACE_URL).hostname}`);
    if (previewHost) expect(previewHost).toBe(`*.preview.${new URL(environment.PODSPACE_URL).hostname}`);
  });

  it("binds the role to Podspace's service account", () => {
    const binding = only<V1ClusterRoleBinding>(objects, "ClusterRoleBinding");
    const account = only(objects, "ServiceAccount");
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: only(objects, "ClusterRole").metadata!.name });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: account.metadata!.name, namespace: account.metadata!.namespace }]);
  });

  if (name !== "base") {
    it("sets the overlay's image, replicas, host and external database", () => {
      expect(deployment.spec!.replicas).toBe(3);
      expect(container.image).toBe("registry.corp.example/platform/podspace:1.0.0");
      expect(container.env?.find((variable) => variable.name === "DATABASE_URL")?.valueFrom?.secretKeyRef).toEqual({ name: "podspace-postgres", key: "uri" });
      expect(containerEnvironment(objects).PODSPACE_URL).toBe("https://dev.corp.example");
    });
  }
});

/**
 * What the 1.20 test apiserver accepts: PodDisruptionBudget is policy/v1
 * from 1.21 (and policy/v1beta1 is gone from 1.25), with the same fields as
 * used here, so the test server gets the beta version.
 */
function for120(object: KubernetesObject): KubernetesObject {
  return object.kind === "PodDisruptionBudget" && object.apiVersion === "policy/v1" ? { ...object, apiVersion: "policy/v1beta1" } : object;
}

describe("k8s kustomization on a real apiserver", () => {
  const kube = useControlPlane();

  it.each(Object.keys(builds))("%s matches the apiserver's OpenAPI schema, with no unknown fields", (name) => {
    for (const object of builds[name as keyof typeof builds].map(for120)) {
      expect({ object: `${object.kind} ${object.metadata?.name}`, errors: kube.schema.errors(object) }).toEqual({
        object: `${object.kind} ${object.metadata?.name}`,
        errors: [],
      });
    }
  });

  it("catches an unknown field (the validation is strict)", () => {
    const deployment = structuredClone(builds.base.find((object) => object.kind === "Deployment")) as V1Deployment;
    (deployment.spec!.template.spec!.containers[0] as unknown as Record<string, unknown>).readinesProbe = {};
    expect(kube.schema.errors(deployment)).not.toEqual([]);
  });

  it("is applied, base then the production overlay, and its pods are admitted", SLOW, async () => {
    const api = KubernetesObjectApi.makeApiClient(kube.kc);
    const apply = async (objects: KubernetesObject[]) => {
      // Namespace first, as kubectl orders it; the rest may go in any order.
      for (const object of objects.map(for120)) {
        await api.patch(object, undefined, undefined, "podspace-test", true, PatchStrategy.ServerSideApply);
      }
    };
    await apply(builds.base);
    await kube.cp.waitForDefaultServiceAccount("podspace");
    await apply(builds.production);

    const apps = kube.kc.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ namespace: "podspace", name: "podspace" });
    expect(deployment.spec?.replicas).toBe(3);
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe("registry.corp.example/platform/podspace:1.0.0");
    for (const object of builds.production.map(for120)) {
      const stored = await api.read(object as KubernetesObject & { metadata: { name: string } });
      expect(stored.metadata?.uid).toBeTruthy();
    }

    // The ReplicaSet controller creates the pods through admission (service
    // account, limits, quota); they stay Pending, as this cluster has no node.
    const core = kube.kc.makeApiClient(CoreV1Api);
    const deadline = Date.now() + 60_000;
    let pods = await core.listNamespacedPod({ namespace: "podspace", labelSelector: "app.kubernetes.io/name=podspace" });
    while (pods.items.length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      pods = await core.listNamespacedPod({ namespace: "podspace", labelSelector: "app.kubernetes.io/name=podspace" });
    }
    expect(pods.items.length).toBeGreaterThanOrEqual(3);
    expect(pods.items[0]!.spec?.serviceAccountName).toBe("podspace");
  });
});
