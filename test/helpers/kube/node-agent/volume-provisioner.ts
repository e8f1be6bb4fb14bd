// The cluster's storage, as an external provisioner would run it: every
// unbound PersistentVolumeClaim, whatever its storage class, gets a hostPath
// PersistentVolume (a directory under the agent's dir) pre-bound to it through
// claimRef, and the controller-manager's PV binder completes the binding.
// When the claim is deleted, the volume and its directory go too, so tests
// can check that destroying a workspace leaves nothing behind.
import fs from "node:fs";
import path from "node:path";
import {
  CoreV1Api,
  StorageV1Api,
  type KubeConfig,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
} from "@kubernetes/client-node";
import { describeError, ignoreConflict, ignoreNotFound } from "./api";
import { startWatchLoop } from "./watch-loop";

/** The StorageClass the agent creates; claims of any class (or none) are provisioned all the same. */
export const TEST_STORAGE_CLASS = "podspace-test";
const PROVISIONER = "podspace.dev/node-agent";

export interface VolumeProvisioner {
  stop(): Promise<void>;
}

export async function startVolumeProvisioner(options: {
  kubeConfig: KubeConfig;
  /** Volume directories are created under this. */
  dir: string;
  log(line: string): void;
}): Promise<VolumeProvisioner> {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const storage = options.kubeConfig.makeApiClient(StorageV1Api);
  fs.mkdirSync(options.dir, { recursive: true });

  // Naming an external provisioner makes the PV controller wait for one
  // ("ExternalProvisioning") instead of failing with "storageclass not found".
  // Immediate binding: the scheduler then sees a bound claim before placing the pod.
  await ignoreConflict(
    storage.createStorageClass({
      body: {
        metadata: { name: TEST_STORAGE_CLASS },
        provisioner: PROVISIONER,
        reclaimPolicy: "Delete",
        volumeBindingMode: "Immediate",
      },
    }),
  );

  const volumeDir = (volumeName: string) => path.join(options.dir, volumeName);

  async function provision(claim: V1PersistentVolumeClaim): Promise<void> {
    const volume = volumeFor(claim, volumeDir);
    fs.mkdirSync(volume.spec!.hostPath!.path, { recursive: true });
    // The name derives from the claim's uid (as external provisioners do), so
    // seeing the claim again after a relist just meets a 409.
    await ignoreConflict(core.createPersistentVolume({ body: volume }));
  }

  async function release(claim: V1PersistentVolumeClaim): Promise<void> {
    const name = volumeName(claim);
    // The PV controller leaves deleting an externally provisioned volume to
    // its provisioner; the pv-protection finalizer holds the object until the
    // controller has marked it Released.
    await ignoreNotFound(core.deletePersistentVolume({ name }));
    fs.rmSync(volumeDir(name), { recursive: true, force: true });
  }

  const report = (what: string, claim: V1PersistentVolumeClaim) => (error: unknown) =>
    options.log(`${what} ${claim.metadata?.namespace}/${claim.metadata?.name}: ${describeError(error)}`);

  const watch = startWatchLoop<V1PersistentVolumeClaim>({
    kubeConfig: options.kubeConfig,
    path: "/api/v1/persistentvolumeclaims",
    list: (fieldSelector) => core.listPersistentVolumeClaimForAllNamespaces({ fieldSelector }),
    onUpsert(claim) {
      if (claim.spec?.volumeName || claim.metadata?.deletionTimestamp) return;
      provision(claim).catch(report("provisioning", claim));
    },
    onDelete(claim) {
      release(claim).catch(report("releasing", claim));
    },
    log: options.log,
  });

  return { stop: () => watch.stop() };
}

function volumeName(claim: V1PersistentVolumeClaim): string {
  return `pvc-${claim.metadata!.uid}`;
}

function volumeFor(claim: V1PersistentVolumeClaim, volumeDir: (name: string) => string): V1PersistentVolume {
  const name = volumeName(claim);
  return {
    metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? "1Gi" },
      accessModes: claim.spec?.accessModes ?? ["ReadWriteOnce"],
      // Must equal the claim's class ("" for none) for the binder to accept the pair.
      storageClassName: claim.spec?.storageClassName ?? "",
      volumeMode: claim.spec?.volumeMode ?? "Filesystem",
      persistentVolumeReclaimPolicy: "Delete",
      hostPath: { path: volumeDir(name), type: "DirectoryOrCreate" },
      claimRef: {
        kind: "PersistentVolumeClaim",
        apiVersion: "v1",
        namespace: claim.metadata?.namespace,
        name: claim.metadata?.name,
        uid: claim.metadata?.uid,
      },
    },
  };
}
