// The driver's list+watch against a real apiserver: it lists, watches from
// the list's resourceVersion, and lists and watches again after a restart.
// (410 Gone can't be provoked here: the 1.20 watch cache replays any old
// resourceVersion as a fresh list while its window hasn't wrapped.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, type V1ConfigMap } from "@kubernetes/client-node";
import { startListWatch, type ListWatchHandle } from "@/lib/runtime/kubernetes/list-watch";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";

const SLOW = { timeout: 120_000 };
const namespace = "list-watch";

let cp: ControlPlane;
let core: CoreV1Api;

beforeAll(async () => {
  cp = await startControlPlane();
  core = cp.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
}, 60_000);

async function eventually(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A list+watch of this namespace's ConfigMaps, recording what it saw. */
function watchConfigMaps() {
  const seen = { lists: 0, listed: [] as string[][], events: [] as string[], errors: 0 };
  const handle: ListWatchHandle = startListWatch<V1ConfigMap>({
    kubeConfig: cp.kubeConfig(),
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    labelSelector: "test=list-watch",
    list: async () => {
      const list = await core.listNamespacedConfigMap({ namespace, labelSelector: "test=list-watch" });
      seen.lists++;
      return list;
    },
    onList: (items) => seen.listed.push(items.map((item) => item.metadata!.name!)),
    onEvent: (type, object) => seen.events.push(`${type} ${object.metadata?.name}`),
    onError: () => seen.errors++,
  });
  return { seen, stop: () => handle.stop() };
}

const configMap = (name: string) => ({ metadata: { name, labels: { test: "list-watch" } }, data: { a: "1" } });

describe("list-watch", () => {
  it("lists, then streams what changes", SLOW, async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap("before") });
    const { seen, stop } = watchConfigMaps();
    try {
      await eventually("the first list", () => seen.lists === 1);
      expect(seen.listed).toEqual([["before"]]);
      await core.createNamespacedConfigMap({ namespace, body: configMap("during") });
      await core.deleteNamespacedConfigMap({ namespace, name: "during" });
      await eventually("the events", () => seen.events.length >= 2);
      expect(seen.events).toEqual(["ADDED during", "DELETED during"]);
    } finally {
      stop();
    }
  });

  it("lists and watches again after the apiserver restarts", SLOW, async () => {
    const { seen, stop } = watchConfigMaps();
    try {
      await eventually("the first list", () => seen.lists === 1);
      await cp.restartApiServer();
      await core.createNamespacedConfigMap({ namespace, body: configMap("after-restart") });
      await eventually("the event after the restart", () => seen.events.includes("ADDED after-restart"), 90_000);
      expect(seen.lists).toBeGreaterThanOrEqual(2);
      expect(seen.errors).toBeGreaterThanOrEqual(1);
    } finally {
      stop();
    }
  });

  it("stops for good", SLOW, async () => {
    const { seen, stop } = watchConfigMaps();
    await eventually("the first list", () => seen.lists === 1);
    stop();
    await core.createNamespacedConfigMap({ namespace, body: configMap("after-stop") });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(seen.events).toEqual([]);
  });
});
