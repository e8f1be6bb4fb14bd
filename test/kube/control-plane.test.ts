// Proves the test control plane (test/helpers/kube/control-plane.ts) is a real
// Kubernetes API, driven through @kubernetes/client-node 2.x the way the app
// will drive it: quota admission, validation, watches, and an apiserver restart.
// Needs the binaries from scripts/kube/build-control-plane.sh; fails (not
// skips) without them.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { ApiException, CoreV1Api, Watch, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";

const SLOW = { timeout: 120_000 };

let cp: ControlPlane;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  cp = await startControlPlane();
  kc = cp.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
}, 120_000);

afterAll(async () => {
  await cp?.stop();
}, 60_000);

function pod(name: string): V1Pod {
  // No node exists, so this pod stays Pending forever; the image is never pulled.
  return { metadata: { name }, spec: { containers: [{ name: "main", image: "busybox" }] } };
}

/** The rejection of `promise` as an ApiException, with its Status body parsed. */
async function apiError(promise: Promise<unknown>): Promise<{ code: number; message: string; reason: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  const { code, body } = error as ApiException<string>;
  // client-node 2.x leaves the response body as text.
  const status = JSON.parse(body) as { message?: string; reason?: string };
  return { code, message: status.message ?? "", reason: status.reason ?? "" };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  // Pods are refused until the controller-manager gives the namespace its default ServiceAccount.
  await cp.waitForDefaultServiceAccount(name);
}

describe("kubernetes control plane", () => {
  it("serves the API over TLS with the admin token", SLOW, async () => {
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((ns) => ns.metadata?.name)).toEqual(
      expect.arrayContaining(["default", "kube-system"]),
    );
  });

  it("enforces a ResourceQuota on pods with 403 exceeded quota", SLOW, async () => {
    const namespace = "quota-test";
    await createNamespace(namespace);
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: "pods" }, spec: { hard: { pods: "1" } } },
    });
    // Quota admission only enforces a quota once the controller-manager's
    // resourcequota controller has filled in status.hard.
    await eventually("quota status", async () => {
      const quota = await core.readNamespacedResourceQuota({ namespace, name: "pods" });
      return quota.status?.hard?.pods === "1" ? quota : undefined;
    });

    await core.createNamespacedPod({ namespace, body: pod("first") });
    const rejected = await apiError(core.createNamespacedPod({ namespace, body: pod("second") }));
    expect(rejected.code).toBe(403);
    expect(rejected.message).toContain("exceeded quota");

    // The scheduler is running: with no node it marks the first pod unschedulable.
    const scheduled = await eventually("PodScheduled condition", async () => {
      const first = await core.readNamespacedPod({ namespace, name: "first" });
      return first.status?.conditions?.find((c) => c.type === "PodScheduled");
    });
    expect(scheduled).toMatchObject({ status: "False", reason: "Unschedulable" });
  });

  it("answers 422 for an object with an invalid name", SLOW, async () => {
    const rejected = await apiError(core.createNamespace({ body: { metadata: { name: "Not_A_Valid_Name" } } }));
    expect(rejected.code).toBe(422);
    expect(rejected.reason).toBe("Invalid");
  });

  it("streams ADDED and DELETED pod events over a watch", SLOW, async () => {
    const namespace = "watch-test";
    await createNamespace(namespace);
    const events: string[] = [];
    let sawDeleted!: () => void;
    const deleted = new Promise<void>((resolve) => (sawDeleted = resolve));
    const watch = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      {},
      (type, obj: V1Pod) => {
        events.push(`${type} ${obj.metadata?.name}`);
        if (type === "DELETED") sawDeleted();
      },
      () => {},
    );
    try {
      await core.createNamespacedPod({ namespace, body: pod("watched") });
      // No kubelet will confirm termination, so delete at once (grace period 0).
      await core.deleteNamespacedPod({ namespace, name: "watched", gracePeriodSeconds: 0 });
      await deleted;
      expect(events[0]).toBe("ADDED watched");
      expect(events.at(-1)).toBe("DELETED watched");
    } finally {
      watch.abort();
    }
  });

  it("ends open watches when the apiserver restarts, and serves again after", SLOW, async () => {
    let watchEnded!: () => void;
    const ended = new Promise<void>((resolve) => (watchEnded = resolve));
    const watch = await new Watch(kc).watch("/api/v1/namespaces", {}, () => {}, () => watchEnded());

    await cp.restartApiServer();
    // A watcher learns of the restart through `done`, and must re-list/re-watch.
    await ended;
    watch.abort();

    await core.createNamespace({ body: { metadata: { name: "after-restart" } } });
    const ns = await core.readNamespace({ name: "after-restart" });
    expect(ns.status?.phase).toBe("Active");
    // Earlier state lives in etcd, so it survived.
    await core.readNamespacedResourceQuota({ namespace: "quota-test", name: "pods" });
  });
});
