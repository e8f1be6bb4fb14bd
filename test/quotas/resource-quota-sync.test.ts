import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api } from "@kubernetes/client-node";
import { failureReason } from "@/components/workspaces/workspace-format";
import { getDb } from "@/lib/db/client";
import { setTeamQuota } from "@/lib/quotas/set-quota";
import { syncTeamSpace } from "@/lib/quotas/team-space";
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { quotaFormSchema } from "@/lib/schemas/quotas";
import { createReconciler } from "@/lib/workspaces/reconciler";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// Defense in depth against a real kube-apiserver: the team namespace's
// ResourceQuota follows the team's quota (the stricter of limit and
// ceiling) when it changes, and a pod the cluster refuses for quota ends
// up as a quota failure on the workspace.

usePostgresAppDatabase();

const SLOW = { timeout: 180_000 };
const SPEC = { slug: "kq", name: "KQ", image: "ubuntu:24.04", resources: { cpu: { default: 1 }, memoryGiB: { default: 0.25 }, diskGiB: { default: 1 } }, ide: { command: ["true"] } };

let cp: ControlPlane;
let core: CoreV1Api;
let runtime: WorkspaceRuntime;

beforeAll(async () => {
  cp = await startControlPlane();
  core = cp.kubeConfig().makeApiClient(CoreV1Api);
  runtime = createKubernetesRuntime({ kubeConfig: cp.kubeConfig(), namespacePrefix: "podspace-", egressAllow: [], selfNamespace: "podspace", inCluster: false });
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await cp?.stop();
}, 60_000);

// Compute only: the team has no storage limits here, and the storage quota is one of its own.
const hard = async (namespace: string) => (await core.readNamespacedResourceQuota({ namespace, name: "podspace-compute" })).spec?.hard;

describe("the team namespace's ResourceQuota", () => {
  it("follows quota changes, and a pod refused for quota fails its workspace with a quota error", SLOW, async () => {
    const platform = await actorFor(await createUser("root@kq.test", { isPlatformAdmin: true }));
    const admin = await createUser("admin@kq.test");
    const team = await createTeamWith("kq", [[admin, "ADMIN"]]);
    const actor = await actorFor(admin);
    const form = (fields: Record<string, string>) => quotaFormSchema.parse({ teamId: team.id, ...fields });

    // No workspace yet: no namespace is made for it.
    await setTeamQuota(actor, form({ scope: "LIMIT", cpuCores: "4", maxRunningWorkspaces: "3" }));
    expect(await syncTeamSpace(runtime, team)).toBe(false);

    const version = await getDb().templateVersion.create({ data: { version: 1, spec: SPEC, template: { create: { slug: "kq", name: "KQ" } } } });
    const workspace = await getDb().workspace.create({
      data: { name: "kq-ws", ownerId: admin.id, teamId: team.id, templateVersionId: version.id, parameters: { cpu: 1, memoryGiB: 0.25, diskGiB: 1, values: {} } },
    });
    expect(await syncTeamSpace(runtime, team)).toBe(true);
    expect(await hard("podspace-kq")).toEqual({ "requests.cpu": "4", "limits.cpu": "4", pods: "3" });

    // The platform's ceiling is stricter than the team's limit: the ceiling is what the cluster gets.
    await setTeamQuota(platform, form({ scope: "CEILING", cpuCores: "2" }));
    await syncTeamSpace(runtime, team);
    expect(await hard("podspace-kq")).toEqual({ "requests.cpu": "2", "limits.cpu": "2", pods: "3" });
    await setTeamQuota(actor, form({ scope: "LIMIT", cpuCores: "1", maxRunningWorkspaces: "3" }));
    await syncTeamSpace(runtime, team);
    expect(await hard("podspace-kq")).toEqual({ "requests.cpu": "1", "limits.cpu": "1", pods: "3" });

    // A pod made around Podspace takes the namespace's only core; Podspace's
    // own check passes (its workspaces use none), the cluster refuses the pod.
    await core.createNamespacedPod({
      namespace: "podspace-kq",
      body: {
        metadata: { name: "intruder" },
        spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "1", memory: "64Mi" }, limits: { cpu: "1", memory: "64Mi" } } }] },
      },
    });
    await createReconciler(runtime).reconcile(workspace.id);
    const failed = await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id } });
    expect(failed).toMatchObject({ state: "FAILED", stateReason: "quota" });
    expect(failureReason(failed.stateReason)).toBe("Over the team's quota");
    const event = await getDb().workspaceEvent.findFirstOrThrow({ where: { workspaceId: workspace.id, level: "ERROR" } });
    expect(event.message).toBe("The team's Kubernetes quota is exhausted: requested cpu=1, used 1 of 1");
  });
});
