// The Kubernetes driver against a real control plane without a node: pods
// are admitted, quota-checked and scheduled (or not), never run. What needs
// running pods (terminal, IDE, OOM, image pulls) is in
// kubernetes-node.test.ts, with the test node agent.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node";
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import { RuntimeError, type RuntimeEvent, type TeamSpaceSpec, type WorkspaceRuntime, type WorkspaceSpec } from "@/lib/runtime/types";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";

const SLOW = { timeout: 120_000 };
const PREFIX = "podspace-";

let cp: ControlPlane;
let core: CoreV1Api;
let runtime: WorkspaceRuntime;
const events: RuntimeEvent[] = [];
let unwatch: () => void;

beforeAll(async () => {
  cp = await startControlPlane();
  core = cp.kubeConfig().makeApiClient(CoreV1Api);
  runtime = createKubernetesRuntime({
    kubeConfig: cp.kubeConfig(),
    namespacePrefix: PREFIX,
    egressAllow: [],
    selfNamespace: "podspace",
    inCluster: false,
  });
  unwatch = runtime.watch((event) => events.push(event));
}, 120_000);

afterAll(async () => {
  unwatch?.();
  await runtime?.close();
  await cp?.stop();
}, 60_000);

const unlimited: TeamSpaceSpec["limits"] = { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null };

function workspace(id: string, teamSlug: string, overrides: Partial<WorkspaceSpec> = {}): WorkspaceSpec {
  return {
    id,
    name: `workspace ${id}`,
    teamSlug,
    ownerId: "user1",
    templateSlug: "base",
    templateVersion: 1,
    image: "ubuntu:24.04",
    resources: { cpuMillicores: 500, memoryMiB: 512, diskGiB: 1 },
    env: {},
    startupScript: "",
    ide: { command: ["code-server", "--bind-addr", "{host}:{port}"], port: 13337, healthPath: "/healthz" },
    ...overrides,
  };
}

/** The workspace's pods, services and claims as the API lists them. */
async function objectsOf(spec: WorkspaceSpec) {
  const query = { namespace: `${PREFIX}${spec.teamSlug}`, labelSelector: `podspace.dev/workspace=${spec.id}` };
  const [pods, services, claims] = await Promise.all([
    core.listNamespacedPod(query),
    core.listNamespacedService(query),
    core.listNamespacedPersistentVolumeClaim(query),
  ]);
  return { pods: pods.items, services: services.items, claims: claims.items };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function eventFor(id: string, predicate: (event: RuntimeEvent) => boolean, timeoutMs = 60_000): Promise<RuntimeEvent> {
  return eventually(
    `an event for ${id}`,
    async () => events.find((event) => event.workspaceId === id && predicate(event)),
    timeoutMs,
  );
}

const isStatus = (state: string, reason?: string) => (event: RuntimeEvent) =>
  event.type === "status" && event.status.state === state && (reason === undefined || event.status.reason === reason);

/** A KubeConfig whose API clients record each request they make ("METHOD url"); watches aren't counted. */
class RequestRecordingKubeConfig extends KubeConfig {
  constructor(private readonly requests: string[]) {
    super();
  }

  override async applySecurityAuthentication(context: Parameters<KubeConfig["applySecurityAuthentication"]>[0]): Promise<void> {
    this.requests.push(`${context.getHttpMethod()} ${context.getUrl()}`);
    await super.applySecurityAuthentication(context);
  }
}

async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}

describe("kubernetes driver: team namespaces", () => {
  it("creates the namespace with its quota, defaults and network policy, and converges on retry", SLOW, async () => {
    const team: TeamSpaceSpec = { slug: "alpha", limits: { ...unlimited, cpuMillicores: 4000, runningWorkspaces: 3 } };
    await runtime.prepareTeam(team);
    await runtime.prepareTeam(team); // retried: no error, nothing doubled
    const namespace = await core.readNamespace({ name: "podspace-alpha" });
    expect(namespace.metadata?.labels).toMatchObject({ "app.kubernetes.io/managed-by": "podspace", "podspace.dev/team": "alpha" });
    const quotas = await core.listNamespacedResourceQuota({ namespace: "podspace-alpha" });
    // Storage (unlimited here) apart from compute, which counts the workspaces' pods only.
    expect(quotas.items.map((q) => [q.metadata?.name, q.spec?.scopes, q.spec?.hard])).toEqual([
      ["podspace", undefined, undefined],
      ["podspace-compute", ["NotTerminating"], { "requests.cpu": "4", "limits.cpu": "4", pods: "3" }],
    ]);
    expect((await core.listNamespacedLimitRange({ namespace: "podspace-alpha" })).items).toHaveLength(1);
    const networking = cp.kubeConfig().makeApiClient(NetworkingV1Api);
    expect((await networking.listNamespacedNetworkPolicy({ namespace: "podspace-alpha" })).items).toHaveLength(1);

    // New limits replace the old ones, and are enforced once prepareTeam returns.
    await runtime.prepareTeam({ ...team, limits: { ...team.limits, cpuMillicores: 2000, runningWorkspaces: null } });
    const updated = await core.readNamespacedResourceQuota({ namespace: "podspace-alpha", name: "podspace-compute" });
    expect(updated.spec?.hard).toEqual({ "requests.cpu": "2", "limits.cpu": "2" });
    expect(updated.status?.hard).toEqual(updated.spec?.hard);
  });

  it("applies a team's namespace again when a start finds it deleted behind Podspace's back", SLOW, async () => {
    const team: TeamSpaceSpec = { slug: "gone", limits: unlimited };
    await runtime.prepareTeam(team);
    // Each start prepares its team; a namespace prepared a moment ago isn't asked about again…
    await core.deleteNamespace({ name: "podspace-gone" });
    await eventually("the namespace to be gone", async () => ((await core.listNamespace()).items.some((n) => n.metadata?.name === "podspace-gone") ? undefined : true));
    await runtime.prepareTeam(team);
    const spec = workspace("gone1", "gone");
    expect((await rejection(runtime.provision(spec))).code).toBe("not-found");
    // …until a start in it fails: then the next attempt makes it again, and the start goes through.
    await runtime.prepareTeam(team);
    await runtime.provision(spec);
    await runtime.start(spec);
    expect((await objectsOf(spec)).pods).toHaveLength(1);
    await runtime.destroy(spec);
  });

  it("refuses a namespace it does not manage, and Podspace's own", SLOW, async () => {
    await core.createNamespace({ body: { metadata: { name: "podspace-taken" } } });
    const taken = await rejection(runtime.prepareTeam({ slug: "taken", limits: unlimited }));
    expect(taken.code).toBe("invalid");
    expect(taken.message).toMatch(/not managed by Podspace/);
    const own = await rejection(
      createKubernetesRuntime({ kubeConfig: cp.kubeConfig(), namespacePrefix: "pod", egressAllow: [], selfNamespace: "podspace", inCluster: false }).prepareTeam({
        slug: "space",
        limits: unlimited,
      }),
    );
    expect(own.code).toBe("invalid");
  });
});

describe("kubernetes driver: workspace lifecycle", () => {
  beforeAll(async () => {
    await runtime.prepareTeam({ slug: "beta", limits: unlimited });
  }, 120_000);

  it("leaves exactly one of each object however often calls are retried", SLOW, async () => {
    const spec = workspace("retry1", "beta");
    await runtime.provision(spec);
    await runtime.provision(spec);
    await Promise.all([runtime.start(spec), runtime.start(spec)]);
    const first = await objectsOf(spec);
    await runtime.start(spec);
    await runtime.provision(spec);
    const again = await objectsOf(spec);
    expect([again.pods.length, again.services.length, again.claims.length]).toEqual([1, 1, 1]);
    // A retried start keeps the pod it already made.
    expect(again.pods[0]!.metadata?.uid).toBe(first.pods[0]!.metadata?.uid);
    expect((await runtime.status(spec)).state).not.toBe("stopped");

    const progress = await eventFor(spec.id, (event) => event.type === "progress" && event.step === "scheduling");
    expect(progress).toMatchObject({ type: "progress", step: "scheduling" });
  });

  it("replaces the pod when the spec changed, without reporting a deletion", SLOW, async () => {
    const spec = workspace("change1", "beta");
    await runtime.provision(spec);
    await runtime.start(spec);
    const before = (await objectsOf(spec)).pods[0]!;
    await runtime.start({ ...spec, image: "ubuntu:25.04", ide: { ...spec.ide, port: 8080 } });
    const after = await objectsOf(spec);
    expect(after.pods).toHaveLength(1);
    expect(after.pods[0]!.metadata?.uid).not.toBe(before.metadata?.uid);
    expect(after.pods[0]!.spec?.containers[0]?.image).toBe("ubuntu:25.04");
    // The Service follows the template's port.
    expect(after.services[0]!.spec?.ports?.[0]?.port).toBe(8080);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(events.filter(isStatus("failed", "deleted")).filter((e) => e.workspaceId === spec.id)).toEqual([]);
  });

  it("keeps the home volume as first provisioned when the template's disk size changes", SLOW, async () => {
    const spec = workspace("disk1", "beta");
    await runtime.provision(spec);
    await runtime.provision({ ...spec, templateSlug: "bigger", resources: { ...spec.resources, diskGiB: 5 } });
    const { claims } = await objectsOf(spec);
    expect(claims).toHaveLength(1);
    expect(claims[0]!.spec?.resources?.requests?.storage).toBe("1Gi");
    expect(claims[0]!.metadata?.labels?.["podspace.dev/template"]).toBe("bigger");
  });

  it("stops by deleting the pod and keeping the home volume", SLOW, async () => {
    const spec = workspace("stop1", "beta");
    await runtime.provision(spec);
    await runtime.start(spec);
    // Its pod is in the one list a reconcile pass asks for, until it is gone.
    expect((await runtime.listActive()).has(spec.id)).toBe(true);
    await runtime.stop(spec);
    await runtime.stop(spec); // retried
    const left = await eventually("the pod to go", async () => {
      const objects = await objectsOf(spec);
      return objects.pods.length === 0 ? objects : undefined;
    });
    expect([left.services.length, left.claims.length]).toEqual([1, 1]);
    expect((await runtime.listActive()).has(spec.id)).toBe(false);
    expect(await runtime.status(spec)).toEqual({ state: "stopped", message: "Stopped" });
    await eventFor(spec.id, isStatus("stopped"));
    expect(events.filter((e) => e.workspaceId === spec.id).some(isStatus("failed", "deleted"))).toBe(false);
  });

  it("starts right after a stop: waits for the old pod as the watch tells, and leaves the Service it applied alone", SLOW, async () => {
    // The runtime under test on a KubeConfig that records the API requests its clients make.
    const requests: string[] = [];
    const counted = new RequestRecordingKubeConfig(requests);
    counted.loadFromString(cp.kubeConfig().exportConfig());
    const recorded = createKubernetesRuntime({ kubeConfig: counted, namespacePrefix: PREFIX, egressAllow: [], selfNamespace: "podspace", inCluster: false });
    const stopWatching = recorded.watch(() => {});
    try {
      const spec = workspace("again1", "beta");
      await recorded.provision(spec);
      await recorded.start(spec);
      const [old] = (await objectsOf(spec)).pods;
      // The old pod is held on its way out (as a kubelet holds it while its processes end).
      await core.replaceNamespacedPod({ namespace: old!.metadata!.namespace!, name: old!.metadata!.name!, body: { ...old!, metadata: { ...old!.metadata, finalizers: ["podspace.test/hold"] } } });
      await recorded.stop(spec);
      requests.length = 0;
      let started = false;
      const starting = recorded.start(spec).then(() => (started = true));
      await eventually("the start to find the old pod", async () => (requests.some((r) => r.startsWith("GET") && r.includes("/pods/")) ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1500)); // time for a poller to show itself
      expect(started).toBe(false);
      const podReads = () => requests.filter((r) => r.startsWith("GET") && r.includes("/pods/"));
      // One read of the old pod (after its name was found taken), and no polling while the watch says it is there.
      expect(podReads()).toHaveLength(1);
      const held = await core.readNamespacedPod({ namespace: old!.metadata!.namespace!, name: old!.metadata!.name! });
      await core.replaceNamespacedPod({ namespace: held.metadata!.namespace!, name: held.metadata!.name!, body: { ...held, metadata: { ...held.metadata, finalizers: [] } } });
      await starting;
      const { pods } = await objectsOf(spec);
      expect(pods.map((pod) => pod.metadata?.uid)).toEqual([expect.not.stringMatching(old!.metadata!.uid!)]);
      // Then one more, confirming what the watch told (a watch can lag the API); the Service this process applied isn't sent again.
      expect(podReads()).toHaveLength(2);
      expect(requests.filter((r) => r.includes("/services"))).toEqual([]);
    } finally {
      stopWatching();
      await recorded.close();
    }
  });

  it("destroys the pod, service and volume", SLOW, async () => {
    const spec = workspace("destroy1", "beta");
    await runtime.provision(spec);
    await runtime.start(spec);
    await runtime.destroy(spec);
    await runtime.destroy(spec); // retried
    await eventually("nothing left", async () => {
      const { pods, services, claims } = await objectsOf(spec);
      return pods.length + services.length + claims.length === 0 ? true : undefined;
    });
    expect((await runtime.status(spec)).state).toBe("absent");
    await eventFor(spec.id, isStatus("absent"));
  });

  it("refuses to start a workspace that was never provisioned", SLOW, async () => {
    const error = await rejection(runtime.start(workspace("never1", "beta")));
    expect(error.code).toBe("not-found");
    expect((await runtime.status(workspace("never1", "beta"))).state).toBe("absent");
  });

  it("has no terminal or IDE for a workspace whose pod is not running", SLOW, async () => {
    const spec = workspace("pending1", "beta");
    await runtime.provision(spec);
    await runtime.start(spec); // no node: stays Pending
    expect((await rejection(runtime.attachTerminal(spec, { cols: 80, rows: 24 }))).code).toBe("not-running");
    expect((await rejection(runtime.ideTarget(spec))).code).toBe("not-running");
  });
});

describe("kubernetes driver: errors", () => {
  it("reports an exhausted team quota as a quota error naming the resource", SLOW, async () => {
    await runtime.prepareTeam({ slug: "small", limits: { ...unlimited, cpuMillicores: 1000, workspaces: 2 } });
    const first = workspace("quota1", "small", { resources: { cpuMillicores: 600, memoryMiB: 256, diskGiB: 1 } });
    const second = workspace("quota2", "small", { resources: { cpuMillicores: 600, memoryMiB: 256, diskGiB: 1 } });
    await runtime.provision(first);
    await runtime.provision(second);
    await runtime.start(first);
    const cpu = await rejection(runtime.start(second));
    expect(cpu.code).toBe("quota");
    expect(cpu.message).toBe("The team's Kubernetes quota is exhausted: requested cpu=600m, used 600m of 1");
    expect(cpu.message).not.toMatch(/Bearer|token/i);

    const volumes = await rejection(runtime.provision(workspace("quota3", "small")));
    expect(volumes.code).toBe("quota");
    expect(volumes.message).toBe("The team's Kubernetes quota is exhausted: requested workspaces=1, used 2 of 2");
  });

  it("rejects an invalid image reference before asking the cluster", SLOW, async () => {
    await runtime.prepareTeam({ slug: "gamma", limits: unlimited });
    const error = await rejection(runtime.provision(workspace("badimage1", "gamma", { image: "Not A Valid Image" })));
    expect(error.code).toBe("invalid");
    expect(error.message).toMatch(/Not A Valid Image/);
  });

  it("reports what the apiserver found invalid, field by field", SLOW, async () => {
    const error = await rejection(runtime.provision(workspace("Bad_Id", "gamma")));
    expect(error.code).toBe("invalid");
    // The volume and the Service are made at once: whichever the apiserver refuses first is reported.
    expect(error.message).toMatch(/metadata\.name: Invalid value: "ws-Bad_Id(-home)?"/);
    const badEnv = workspace("badenv1", "gamma", { env: { "1=2": "x" } });
    await runtime.provision(badEnv);
    const pod = await rejection(runtime.start(badEnv));
    expect(pod.code).toBe("invalid");
    expect(pod.message).toMatch(/spec\.containers\[0\]\.env\[0\]\.name/);
  });

  it("reports an unreachable apiserver as unavailable", SLOW, async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "gone", server: `https://127.0.0.1:${await closedPort()}`, skipTLSVerify: true }],
      users: [{ name: "admin", token: "secret-token-value" }],
      contexts: [{ name: "gone", cluster: "gone", user: "admin" }],
      currentContext: "gone",
    });
    const offline = createKubernetesRuntime({ kubeConfig, namespacePrefix: PREFIX, egressAllow: [], selfNamespace: "podspace", inCluster: false });
    const error = await rejection(offline.status(workspace("offline1", "beta")));
    expect(error.code).toBe("unavailable");
    expect(error.message).toMatch(/unreachable \(ECONNREFUSED\)/);
    expect(error.message).not.toContain("secret-token-value");
  });
});

describe("kubernetes driver: watch", () => {
  beforeAll(async () => {
    await runtime.prepareTeam({ slug: "delta", limits: unlimited });
  }, 120_000);

  it("reports a pod deleted outside Podspace as a failure", SLOW, async () => {
    const spec = workspace("oob1", "delta");
    await runtime.provision(spec);
    await runtime.start(spec);
    await eventFor(spec.id, (event) => event.type === "progress");
    await core.deleteNamespacedPod({ namespace: "podspace-delta", name: "ws-oob1", gracePeriodSeconds: 0 });
    const failed = await eventFor(spec.id, isStatus("failed", "deleted"));
    expect(failed.type === "status" && failed.status.message).toMatch(/deleted outside Podspace/);
    // The API's truth: stopped, with the home kept, so it can be started again.
    expect((await runtime.status(spec)).state).toBe("stopped");
  });

  it("keeps delivering events after the apiserver restarts", SLOW, async () => {
    const before = workspace("restart1", "delta");
    await runtime.provision(before);
    await runtime.start(before);
    await eventFor(before.id, (event) => event.type === "status");

    await cp.restartApiServer();

    const after = workspace("restart2", "delta");
    await runtime.provision(after);
    await runtime.start(after);
    await eventFor(after.id, (event) => event.type === "status", 90_000);
    // And a deletion that happened while the watch was down is still noticed (through the re-list).
    await core.deleteNamespacedPod({ namespace: "podspace-delta", name: "ws-restart1", gracePeriodSeconds: 0 });
    await eventFor(before.id, isStatus("failed", "deleted"), 90_000);
  });

  it("gives a listener that joins later the current status of every workspace", SLOW, async () => {
    const late: RuntimeEvent[] = [];
    const stop = runtime.watch((event) => late.push(event));
    try {
      await eventually("the snapshot", async () => (late.some((e) => e.workspaceId === "restart2" && e.type === "status") ? true : undefined));
    } finally {
      stop();
    }
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
