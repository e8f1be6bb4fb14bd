import { CoreV1Api, KubernetesObjectApi, StorageV1Api, VersionApi, type KubeConfig, type V1PersistentVolumeClaim, type V1Pod, type V1Secret, type V1Service } from "@kubernetes/client-node";
import { logger } from "@/lib/observability/logger";
import { createExpiringCache } from "@/lib/server/expiring-cache";
import { RuntimeError, type ListeningPort, type ObservedStatus, type RuntimeEvent, type TeamSpaceSpec, type WorkspaceRuntime, type WorkspaceSpec } from "../types";
import { AppliedRecently } from "./applied-recently";
import { convergeClaim, convergeNamespace, convergePod, convergeService, replaceInPlace } from "./convergence";
import { isConflict, isNotFound, toRuntimeError } from "./errors";
import { DEFAULT_HOME_TOOL_IMAGE, homeToolObjects, runHomeToolPod, sweepEndedToolPods, toolFiles } from "./home-tool-pod";
import { isValidImageReference } from "./image-reference";
import { envSecretManifest, homeClaimManifest, podManifest, serviceManifest, specHashOf, teamManifests } from "./manifests";
import { MANAGED_SELECTOR, WORKSPACE_LABEL, isTeamNamespace, workspaceRef } from "./names";
import { ObjectStore, describe } from "./object-store";
import { observedStatus } from "./pod-status";
import { podListeningPorts } from "./pod-ports";
import { pollUntil } from "./poll";
import { podIpTarget, portForwardTarget, serviceTarget } from "./port-target";
import { execInPod } from "./exec-in-pod";
import { openTerminal } from "./terminal";
import { WorkspaceWatch } from "./workspace-watch";

// Runs each workspace as a Pod with a PersistentVolumeClaim for its home and
// a Service for its IDE, in a namespace per team that holds the team's
// quota, default limits and network isolation. See manifests.ts for the
// objects, and object-store.ts and convergence.ts for how retries converge.

export interface KubernetesRuntimeOptions {
  kubeConfig: KubeConfig;
  /** Team namespaces are `<prefix><team slug>`, e.g. "podspace-". */
  namespacePrefix: string;
  storageClass?: string;
  /** CIDRs in the cluster's private ranges that workspaces may reach anyway. */
  egressAllow: string[];
  /** Where Podspace runs: its pods may reach workspaces. It must carry CONTROL_PLANE_NAMESPACE_LABEL on 1.20. */
  selfNamespace: string;
  /** Reach workspaces over the pod network, IDEs by their Service's DNS name and other ports at the pod's IP (true), or through port-forwards via the apiserver (false). */
  inCluster: boolean;
  /** The image runOnHome's pods run (restic and sh); default DEFAULT_HOME_TOOL_IMAGE. */
  homeToolImage?: string;
  /** Podspace's AI gateway port, which team NetworkPolicies let workspaces reach; unset when the gateway is off. */
  aiPort?: number;
}

/** How long prepareTeam waits for the controllers to make a new namespace usable. */
const TEAM_READY_TIMEOUT_MS = 30_000;
/** Deletions Podspace asked for are remembered this long for the watch, which may see them late. */
const EXPECTED_DELETION_TTL_MS = 10 * 60_000;
/** How long a team's namespace, or a home volume, this process applied is taken as still there on a start's path. */
const APPLIED_TTL_MS = 5 * 60_000;
/** How long a storage class's binding mode is taken as known. */
const STORAGE_CLASS_TTL_MS = 10 * 60_000;
/**
 * The longest a new workspace's pod waits for its volume to be bound before
 * it is made anyway. The wait holds one of the reconciler's few slots, so it
 * is short: a volume that binds within it (a local or fast provisioner)
 * spares the pod the scheduler's back-off; a slow cloud disk leaves the pod
 * to the scheduler, as before.
 */
const BIND_WAIT_MS = 3_000;
/** Each open ports list asks every 2 s: one exec into the pod per this long serves them all. */
const LISTENING_PORTS_TTL_MS = 2_000;

export function createKubernetesRuntime(options: KubernetesRuntimeOptions): WorkspaceRuntime {
  const { kubeConfig, namespacePrefix } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const storage = kubeConfig.makeApiClient(StorageV1Api);
  const expectedDeletions = new Map<string, number>();
  const store = new ObjectStore(KubernetesObjectApi.makeApiClient(kubeConfig), {
    willDelete: (object) => {
      const uid = object.metadata?.uid;
      if (object.kind !== "Pod" || !uid) return;
      const now = Date.now();
      for (const [known, at] of expectedDeletions) if (now - at > EXPECTED_DELETION_TTL_MS) expectedDeletions.delete(known);
      expectedDeletions.set(uid, now);
    },
    untilGone: (object, timeoutMs) => {
      const workspaceId = object.metadata?.labels?.[WORKSPACE_LABEL];
      return object.kind === "Pod" && workspaceId && watch ? watch.untilPodGone(workspaceId, object.metadata?.uid, timeoutMs) : undefined;
    },
  });

  const applied = new AppliedRecently(APPLIED_TTL_MS);
  const teamKey = (namespace: string) => `team ${namespace}`;
  const claimKey = (spec: WorkspaceSpec) => `claim ${spec.id}`;
  const serviceKey = (spec: WorkspaceSpec) => `service ${spec.id}`;
  /** The workspace's Service, applied unless this process applied the same one lately (by its spec hash: a new template version's port changes it). */
  const ensureService = async (spec: WorkspaceSpec, service: V1Service) => {
    if (applied.has(serviceKey(spec), specHashOf(service))) return;
    await store.ensure(service, convergeService);
    applied.remember(serviceKey(spec), specHashOf(service));
  };
  /** Runs a step of a start; a failure forgets the team's namespace, the volume and the Service, so the next attempt applies and reads them again. */
  const forgettingOnFailure = async (spec: WorkspaceSpec, step: () => Promise<void>) => {
    try {
      await step();
    } catch (error) {
      applied.forget(teamKey(workspaceRef(namespacePrefix, spec).namespace));
      applied.forget(claimKey(spec));
      applied.forget(serviceKey(spec));
      throw error;
    }
  };

  const listeners = new Set<(event: RuntimeEvent) => void>();
  let watch: WorkspaceWatch | undefined;
  const broadcast = (event: RuntimeEvent) => {
    for (const listener of listeners) deliver(listener, event);
  };

  const workspaceObjects = (spec: WorkspaceSpec) => ({
    pod: podManifest(spec, { namespacePrefix }),
    service: serviceManifest(spec, { namespacePrefix }),
    claim: homeClaimManifest(spec, { namespacePrefix, storageClass: options.storageClass }),
    envSecret: envSecretManifest(spec, { namespacePrefix }),
  });

  /**
   * Writes this start's secret environment before its pod reads it. One left
   * by an earlier start holds an older key: Podspace may create and delete
   * Secrets but not read them, so it replaces it unread.
   */
  async function writeEnvSecret(secret: V1Secret): Promise<void> {
    const { namespace, name } = secret.metadata as { namespace: string; name: string };
    const create = () => core.createNamespacedSecret({ namespace, body: secret });
    try {
      await create().catch(async (error: unknown) => {
        if (!isConflict(error)) throw error;
        await store.remove(secret);
        await create();
      });
    } catch (error) {
      throw toRuntimeError(error, `create Secret ${namespace}/${name}`);
    }
  }

  /** Deletes the workspace's pod, telling the watch to expect it; a pod replaced meanwhile is deleted too. */
  async function deletePod(pod: V1Pod): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await store.read(pod);
      if (!existing || (await store.deleteExact(existing))) return;
    }
    throw new RuntimeError("unavailable", `Could not delete ${describe(pod)}: it kept being replaced`);
  }

  /**
   * The workspace's pod, when it runs (and isn't on its way out). A pod the
   * watch sees running needs no read: a terminal or exec then costs the
   * apiserver one call, not two (a burst of terminals at once is a burst of
   * both). One that went meanwhile fails the exec itself, as it would after
   * a read.
   */
  async function runningPod(spec: WorkspaceSpec): Promise<V1Pod> {
    const seen = watch?.podOf(spec.id);
    if (seen && isRunning(seen)) return seen;
    const pod = await store.read(workspaceObjects(spec).pod);
    if (!pod || !isRunning(pod)) throw new RuntimeError("not-running", `Workspace ${spec.name} is not running`);
    return pod;
  }

  const listeningPorts = createExpiringCache<WorkspaceSpec, ListeningPort[]>({
    ttlMs: LISTENING_PORTS_TTL_MS,
    keyOf: (spec) => spec.id,
    async load(spec) {
      await runningPod(spec);
      const ports = await podListeningPorts(kubeConfig, workspaceRef(namespacePrefix, spec));
      return ports.filter(({ port }) => port !== spec.ide.port);
    },
  });

  /** Whether claims of the storage class are bound as soon as they are made (Immediate) rather than when a pod is placed. */
  const bindsImmediately = createExpiringCache<string, boolean>({
    ttlMs: STORAGE_CLASS_TTL_MS,
    async load(name) {
      try {
        return ((await storage.readStorageClass({ name })).volumeBindingMode ?? "Immediate") === "Immediate";
      } catch (error) {
        // Unknown (no such class, no permission to read it): the scheduler copes, only more slowly.
        logger.warn({ err: error, storageClass: name }, "could not read the storage class's binding mode; starts won't wait for their volume");
        return false;
      }
    },
  });

  /**
   * With a storage class that binds claims immediately, the scheduler refuses
   * a pod whose claim isn't bound yet and backs it off for seconds (up to 10)
   * before trying again: a new workspace's pod is made once its volume is
   * bound (told by the watch), or after BIND_WAIT_MS all the same.
   */
  async function untilSchedulable(spec: WorkspaceSpec, claim: V1PersistentVolumeClaim | undefined): Promise<void> {
    if (claim?.status?.phase === "Bound") return;
    const storageClass = claim?.spec?.storageClassName ?? options.storageClass;
    if (!storageClass || !(await bindsImmediately(storageClass))) return;
    if (watch) {
      await watch.untilClaimBound(spec.id, BIND_WAIT_MS);
      return;
    }
    const ref = workspaceObjects(spec).claim;
    await pollUntil(async () => (await store.read(ref))?.status?.phase === "Bound", { timeoutMs: BIND_WAIT_MS, intervalMs: 100 });
  }

  async function waitUntilUsable(namespace: string, quotaNames: string[]): Promise<void> {
    // The ServiceAccount admission plugin refuses pods until the namespace has
    // its default ServiceAccount; quota admission enforces a quota only once
    // the controller has copied its limits into status.hard.
    const ready = await pollUntil(
      async () => {
        try {
          const [, ...quotas] = await Promise.all([
            core.readNamespacedServiceAccount({ namespace, name: "default" }),
            ...quotaNames.map((name) => core.readNamespacedResourceQuota({ namespace, name })),
          ]);
          return quotas.every((quota) => sameEntries(quota.spec?.hard, quota.status?.hard));
        } catch (error) {
          if (isNotFound(error)) return false;
          throw toRuntimeError(error, `check namespace ${namespace}`);
        }
      },
      { timeoutMs: TEAM_READY_TIMEOUT_MS },
    );
    if (!ready) {
      throw new RuntimeError(
        "unavailable",
        `Namespace ${namespace} did not become usable within ${TEAM_READY_TIMEOUT_MS / 1000} s (no default service account or quota status); is the controller-manager running?`,
      );
    }
  }

  return {
    kind: "kubernetes",

    async prepareTeam(team: TeamSpaceSpec) {
      const manifests = teamManifests(team, options);
      const namespace = manifests.namespace.metadata!.name!;
      if (namespace === options.selfNamespace) {
        throw new RuntimeError("invalid", `Team ${team.slug}'s namespace would be ${namespace}, where Podspace itself runs; rename the team`);
      }
      // Every start prepares its team: the same limits applied a moment ago needn't cost the start its round trips.
      const content = JSON.stringify(manifests);
      if (applied.has(teamKey(namespace), content)) return;
      await store.ensure(manifests.namespace, convergeNamespace);
      await Promise.all([
        store.ensure(manifests.computeQuota, replaceInPlace),
        store.ensure(manifests.storageQuota, replaceInPlace),
        store.ensure(manifests.limitRange, replaceInPlace),
        store.ensure(manifests.networkPolicy, replaceInPlace),
      ]);
      await waitUntilUsable(namespace, [manifests.computeQuota, manifests.storageQuota].map((quota) => quota.metadata!.name!));
      applied.remember(teamKey(namespace), content);
    },

    async provision(spec) {
      const objects = workspaceObjects(validated(spec));
      await forgettingOnFailure(spec, async () => {
        await Promise.all([
          store.ensure(objects.claim, convergeClaim),
          ensureService(spec, objects.service),
          // Asked now, off the start's path, whether the start will wait for the volume (untilSchedulable).
          options.storageClass && bindsImmediately(options.storageClass),
        ]);
      });
      applied.remember(claimKey(spec));
    },

    async start(spec) {
      const objects = workspaceObjects(validated(spec));
      await forgettingOnFailure(spec, async () => {
        // The home volume this process just provisioned, or the watch holds, needs no read on the start's path.
        let claim = watch?.claimOf(spec.id);
        if (!claim && !applied.has(claimKey(spec))) claim = await store.read(objects.claim);
        if (claim?.metadata?.deletionTimestamp || (!claim && !applied.has(claimKey(spec)))) {
          throw new RuntimeError("not-found", `Workspace ${spec.name} has no home volume; provision it first`);
        }
        // The Service's port follows the template version being started; it is independent of the pod, so both at once.
        const hasSecretEnv = Object.keys(spec.secretEnv ?? {}).length > 0;
        await Promise.all([
          ensureService(spec, objects.service),
          Promise.all([untilSchedulable(spec, claim), hasSecretEnv && writeEnvSecret(objects.envSecret)]).then(() => store.ensure(objects.pod, convergePod)),
        ]);
      });
    },

    async stop(spec) {
      // The next start asks the watch (or the API) about the volume again: a retry after a lost volume must see it gone.
      applied.forget(claimKey(spec));
      const objects = workspaceObjects(spec);
      await deletePod(objects.pod);
      // Its key is no good once the workspace stops; the next start writes a new one.
      await store.remove(objects.envSecret);
    },

    async destroy(spec) {
      const objects = workspaceObjects(spec);
      applied.forget(claimKey(spec));
      applied.forget(serviceKey(spec));
      await deletePod(objects.pod);
      await store.remove(objects.envSecret);
      await store.remove(objects.service);
      // The claim goes once no pod uses it (the pvc-protection finalizer).
      await store.remove(objects.claim);
    },

    async status(spec) {
      const objects = workspaceObjects(spec);
      const [pod, claim] = await Promise.all([store.read(objects.pod), store.read(objects.claim)]);
      return observedStatus({ pod, claim });
    },

    async listActive() {
      // One list of every workspace pod; a workspace without a pod holds no compute.
      const pods = await core.listPodForAllNamespaces({ labelSelector: MANAGED_SELECTOR }).catch((error: unknown) => {
        throw toRuntimeError(error, "list workspace pods");
      });
      const statuses = new Map<string, ObservedStatus>();
      for (const pod of pods.items) {
        const id = pod.metadata?.labels?.[WORKSPACE_LABEL];
        if (id && isTeamNamespace(pod.metadata?.namespace, options)) statuses.set(id, observedStatus({ pod }));
      }
      return statuses;
    },

    watch(listener) {
      listeners.add(listener);
      if (!watch) {
        watch = new WorkspaceWatch({
          kubeConfig,
          namespacePrefix,
          selfNamespace: options.selfNamespace,
          deletionExpected: (uid) => expectedDeletions.delete(uid),
          emit: broadcast,
        });
      } else {
        // A later listener learns where every workspace stands, as the first one did from the initial list.
        const snapshot = watch.snapshot();
        queueMicrotask(() => snapshot.forEach((event) => listeners.has(listener) && deliver(listener, event)));
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          watch?.stop();
          watch = undefined;
        }
      };
    },

    async attachTerminal(spec, terminal) {
      await runningPod(spec);
      // The key too: a claimed warm pool member's, or one the gateway gave after the pod started, is newer than its pod's.
      return openTerminal(kubeConfig, workspaceRef(namespacePrefix, spec), terminal, { ...spec.env, ...spec.secretEnv });
    },

    async exec(spec, options) {
      await runningPod(spec);
      // The spec's environment as it is now, as the terminal's (a claimed warm pool member's pod has its pool's).
      return execInPod(kubeConfig, workspaceRef(namespacePrefix, spec), { ...options, env: { ...spec.env, ...spec.secretEnv, ...options.env } });
    },

    async handOver(spec) {
      const objects = workspaceObjects(validated(spec));
      await Promise.all([objects.pod, objects.service, objects.claim].map((object) => store.relabel(object)));
    },

    async runOnHome(spec, run) {
      // restic's local backend: a folder on Podspace's host, out of any pod's reach.
      const repository = run.env.RESTIC_REPOSITORY;
      if (repository?.startsWith("/")) {
        throw new RuntimeError("invalid", "Backups on the Kubernetes runtime need an S3 store (PODSPACE_BACKUP_S3_BUCKET): a backup pod can't reach a folder on Podspace's host");
      }
      const objects = workspaceObjects(spec);
      const [claim, pod] = await Promise.all([store.read(objects.claim), store.read(objects.pod)]);
      if (!claim || claim.metadata?.deletionTimestamp) throw new RuntimeError("not-found", `Workspace ${spec.name} has no home volume`);
      const tool = homeToolObjects(spec, run, {
        namespacePrefix,
        image: options.homeToolImage ?? DEFAULT_HOME_TOOL_IMAGE,
        files: await toolFiles(run.hostPaths),
        scratchDirs: run.hostPaths.filter((host) => host.writable).map((host) => host.path),
        nodeName: pod?.spec?.nodeName,
      });
      try {
        await sweepEndedToolPods(kubeConfig, tool.pod.metadata!.namespace!, spec.id);
        return await runHomeToolPod(kubeConfig, tool, run);
      } catch (error) {
        throw toRuntimeError(error, `run ${describe(tool.pod)} on workspace ${spec.name}'s home`);
      }
    },

    async ideTarget(spec) {
      await runningPod(spec);
      const ref = workspaceRef(namespacePrefix, spec);
      return options.inCluster ? serviceTarget(ref, spec.ide.port) : portForwardTarget(kubeConfig, ref, spec.ide.port);
    },

    async portTarget(spec, port) {
      const pod = await runningPod(spec);
      const ref = workspaceRef(namespacePrefix, spec);
      if (!options.inCluster) return portForwardTarget(kubeConfig, ref, port);
      // The Service carries the IDE's port only: other ports are reached at the pod itself.
      const podIp = pod.status?.podIP;
      if (!podIp) throw new RuntimeError("not-running", `Workspace ${spec.name}'s pod has no IP address yet`);
      return podIpTarget(ref, podIp, port);
    },

    listeningPorts,

    async probe() {
      const version = await kubeConfig.makeApiClient(VersionApi).getCode();
      return `Kubernetes ${version.gitVersion} at ${kubeConfig.getCurrentCluster()?.server ?? "the current cluster"}`;
    },

    async close() {
      listeners.clear();
      watch?.stop();
      watch = undefined;
    },
  };
}

function deliver(listener: (event: RuntimeEvent) => void, event: RuntimeEvent): void {
  try {
    listener(event);
  } catch (error) {
    console.error("podspace: a runtime event listener failed:", error);
  }
}

function validated(spec: WorkspaceSpec): WorkspaceSpec {
  if (!isValidImageReference(spec.image)) {
    throw new RuntimeError("invalid", `"${spec.image}" is not a valid container image reference (e.g. ubuntu:24.04 or ghcr.io/org/image:tag)`);
  }
  return spec;
}

function sameEntries(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = Object.entries(a ?? {});
  return left.length === Object.keys(b ?? {}).length && left.every(([key, value]) => b?.[key] === value);
}

function isRunning(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase === "Running";
}
