// The store's create-or-converge against a real apiserver, where an object
// of the same name is still being deleted (its finalizer not yet cleared).
import { beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, KubernetesObjectApi, type V1ConfigMap } from "@kubernetes/client-node";
import { ObjectStore } from "@/lib/runtime/kubernetes/object-store";
import { useControlPlane } from "../helpers/kube/use-control-plane";

const namespace = "object-store";
const FINALIZER = "podspace.dev/test-hold";

const context = useControlPlane();
let core: CoreV1Api;

beforeAll(async () => {
  core = context.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

const configMap = (name: string, value: string): V1ConfigMap => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: { value } });

describe("ObjectStore", () => {
  it("waits for an object being deleted to go before creating its successor, even when the watch says it went already", { timeout: 60_000 }, async () => {
    const held = await core.createNamespacedConfigMap({ namespace, body: { ...configMap("held", "old"), metadata: { name: "held", namespace, finalizers: [FINALIZER] } } });
    await core.deleteNamespacedConfigMap({ namespace, name: "held" });
    // A watch that hasn't seen the object (it lags the API) holds nothing of that name: to it, the object is gone.
    const store = new ObjectStore(KubernetesObjectApi.makeApiClient(context.kc), { untilGone: () => Promise.resolve(true) });
    let ensured = false;
    const ensuring = store.ensure(configMap("held", "new"), { update: () => "recreate" }).then(() => (ensured = true));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(ensured).toBe(false);

    // The deletion finishes once its finalizer is cleared; then the successor is created.
    await core.patchNamespacedConfigMap({ namespace, name: "held", body: [{ op: "remove", path: "/metadata/finalizers" }] });
    await ensuring;
    const successor = await core.readNamespacedConfigMap({ namespace, name: "held" });
    expect(successor.data).toEqual({ value: "new" });
    expect(successor.metadata?.uid).not.toBe(held.metadata?.uid);
  });
});
