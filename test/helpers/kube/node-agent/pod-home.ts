// Where a container's process runs. There is no mount namespace: instead the
// volume mounted at the container's HOME (or its first volume) is resolved to
// a host directory, and the process gets that directory as its cwd and HOME.
// A PersistentVolumeClaim leads through its bound PersistentVolume to a
// hostPath; an emptyDir or a pod without a volume gets a directory of the pod.
import fs from "node:fs";
import path from "node:path";
import type { CoreV1Api, V1Container, V1Pod, V1Volume } from "@kubernetes/client-node";

/** Thrown while a claim isn't bound yet: the caller retries, as the kubelet waits for a mount. */
export class VolumeNotReady extends Error {}

/** Volume kinds that hold configuration, never a home: the service-account token, config maps… */
const CONFIG_VOLUMES = ["secret", "configMap", "projected", "downwardAPI"] as const;

export async function resolveHomeDir(
  core: CoreV1Api,
  pod: V1Pod,
  container: V1Container,
  /** This pod's own directory on the host. */
  podDir: string,
): Promise<string> {
  const home = container.env?.find((e) => e.name === "HOME")?.value;
  const mounts = container.volumeMounts ?? [];
  const mount =
    mounts.find((m) => m.mountPath === home) ??
    mounts.find((m) => {
      const volume = pod.spec?.volumes?.find((v) => v.name === m.name);
      return volume && !CONFIG_VOLUMES.some((kind) => volume[kind]);
    });
  const volume = mount && pod.spec?.volumes?.find((v) => v.name === mount.name);
  const dir = volume ? await hostDirOf(core, pod, volume, podDir) : path.join(podDir, "home");
  const subPath = mount?.subPath ? path.join(dir, mount.subPath) : dir;
  fs.mkdirSync(subPath, { recursive: true });
  return subPath;
}

/** The host directory a (non-Secret) volume is: a claim's hostPath volume, a hostPath, or one of the pod's own (emptyDir). */
export async function hostDirOf(core: CoreV1Api, pod: V1Pod, volume: V1Volume, podDir: string): Promise<string> {
  if (volume.hostPath) return volume.hostPath.path;
  const claimName = volume.persistentVolumeClaim?.claimName;
  if (!claimName) return path.join(podDir, "volumes", volume.name);
  const namespace = pod.metadata!.namespace!;
  const claim = await core.readNamespacedPersistentVolumeClaim({ namespace, name: claimName });
  const volumeName = claim.spec?.volumeName;
  if (!volumeName || claim.status?.phase !== "Bound") {
    throw new VolumeNotReady(`persistentvolumeclaim "${claimName}" is not bound`);
  }
  const persistentVolume = await core.readPersistentVolume({ name: volumeName });
  const hostPath = persistentVolume.spec?.hostPath?.path;
  if (!hostPath) throw new Error(`persistentvolume "${volumeName}" is not a hostPath volume`);
  return hostPath;
}
