// A container's volumes, mounted as the kubelet mounts them: each volume
// becomes a host directory (a claim's hostPath volume, a Secret's keys
// written out, an emptyDir of the pod's own), bind-mounted at its mountPath
// (subPath honoured, read-only when the mount says so) in a mount namespace
// of the container's own. The host's tree stands in for the image: a mount
// point it lacks is made on the host, an empty directory or file, as a
// container runtime makes it in the image's root.
import fs from "node:fs";
import path from "node:path";
import type { CoreV1Api, V1Container, V1Pod, V1Volume } from "@kubernetes/client-node";
import { isApiError } from "./api";
import { tool } from "./host-tools";
import { hostDirOf, VolumeNotReady } from "./pod-home";

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

// By absolute path: the script runs with the container's environment, whose PATH may lead nowhere.
const UNSHARE = tool("unshare");
const MOUNT = tool("mount");
const SH = tool("sh");
const MKDIR = tool("mkdir");
const DIRNAME = tool("dirname");

/** The container's mounts, host side resolved; throws VolumeNotReady while a claim or a Secret isn't there yet. */
export async function containerMounts(core: CoreV1Api, pod: V1Pod, container: V1Container, podDir: string): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
    if (!volume) throw new Error(`volume "${mount.name}" is mounted but not declared`);
    const dir = volume.secret ? await writeSecretVolume(core, pod, volume, podDir) : await hostDirOf(core, pod, volume, podDir);
    fs.mkdirSync(dir, { recursive: true });
    const source = mount.subPath ? path.join(dir, mount.subPath) : dir;
    mounts.push({ source, target: mount.mountPath, readOnly: mount.readOnly === true });
  }
  return mounts;
}

/** argv that makes the mounts in a new mount namespace, then execs `command` (same pid). */
export function withMounts(mounts: Mount[], command: string[]): string[] {
  if (mounts.length === 0) return command;
  // Mount points are made as the source is: a directory, or an empty file.
  const script = [
    'while [ "$1" != -- ]; do',
    `  if [ -d "$1" ]; then ${MKDIR} -p "$2"; else ${MKDIR} -p "$(${DIRNAME} "$2")" && { [ -e "$2" ] || : > "$2"; }; fi || exit 126`,
    `  ${MOUNT} --bind "$1" "$2" || exit 126`,
    `  if [ "$3" = ro ]; then ${MOUNT} -o remount,bind,ro "$2" || exit 126; fi`,
    "  shift 3",
    "done",
    'shift; exec "$@"',
  ].join("\n");
  const args = mounts.flatMap((mount) => [mount.source, mount.target, mount.readOnly ? "ro" : "rw"]);
  return [UNSHARE, "--mount", "--propagation", "private", "--", SH, "-c", script, "sh", ...args, "--", ...command];
}

/** The Secret's keys (or the items asked for) as files of the pod, in the volume's mode. */
async function writeSecretVolume(core: CoreV1Api, pod: V1Pod, volume: V1Volume, podDir: string): Promise<string> {
  const source = volume.secret!;
  const secret = await readSecret(core, pod.metadata!.namespace!, source.secretName!);
  const dir = path.join(podDir, "volumes", volume.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const data = secret?.data ?? {};
  const items = source.items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined }));
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) throw new VolumeNotReady(`secret "${source.secretName}" has no key "${item.key}"`);
    const file = path.join(dir, item.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(value, "base64"), { mode: item.mode ?? source.defaultMode ?? 0o644 });
  }
  return dir;
}

/** The Secret, or a VolumeNotReady to wait for it, as the kubelet waits. */
export async function readSecret(core: CoreV1Api, namespace: string, name: string) {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (error) {
    if (isApiError(error, 404)) throw new VolumeNotReady(`secret "${name}" not found`);
    throw error;
  }
}
