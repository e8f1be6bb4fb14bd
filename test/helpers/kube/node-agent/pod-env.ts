// A container's environment as the kubelet builds it: envFrom first (each
// Secret's keys, with the prefix), then env, whose later entries win; plain
// values and secretKeyRef. A missing Secret is waited for, as the kubelet
// waits for it (CreateContainerConfigError) before it starts the container.
import type { CoreV1Api, V1Container } from "@kubernetes/client-node";
import { VolumeNotReady } from "./pod-home";
import { readSecret } from "./pod-volumes";

export async function containerEnv(core: CoreV1Api, namespace: string, container: V1Container): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const decoded = async (name: string) =>
    Object.fromEntries(Object.entries((await readSecret(core, namespace, name)).data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));
  for (const source of container.envFrom ?? []) {
    if (!source.secretRef?.name) throw new Error("the node agent resolves envFrom from Secrets only");
    for (const [key, value] of Object.entries(await decoded(source.secretRef.name))) env[`${source.prefix ?? ""}${key}`] = value;
  }
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (ref?.name) {
      const value = (await decoded(ref.name))[ref.key];
      if (value === undefined) throw new VolumeNotReady(`secret "${ref.name}" has no key "${ref.key}"`);
      env[entry.name] = value;
    }
    // Other sources (field and resource refs, config maps) are not resolved.
  }
  return env;
}
