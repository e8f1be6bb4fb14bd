import type { KubernetesObject, V1Namespace, V1PersistentVolumeClaim, V1Pod, V1Service } from "@kubernetes/client-node";
import { RuntimeError } from "../types";
import { isManagedByPodspace } from "./names";
import type { Converge } from "./object-store";

// How each kind of object the driver owns is brought in line when it exists
// already but differs from what the driver would create.

/** Objects that can simply be overwritten (quota, limits, network policy): PUT the desired one. */
export const replaceInPlace: Converge<KubernetesObject> = { update: (existing, desired) => replaceWith(existing, desired) };

/** Pods can't change in place; one that has ended for good is replaced too, since start means run. */
export const convergePod: Converge<V1Pod> = {
  update: () => "recreate",
  stale: (pod) => pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded",
};

/** The cluster IP is immutable and must be carried over. */
export const convergeService: Converge<V1Service> = {
  update: (existing, desired) => {
    const replaced = replaceWith(existing, desired);
    return { ...replaced, spec: { ...replaced.spec, clusterIP: existing.spec?.clusterIP, clusterIPs: existing.spec?.clusterIPs } };
  },
};

/**
 * A claim holds the user's files: it is never replaced, and its size and
 * class (immutable, or growable only where the storage class allows it) stay
 * as first provisioned; a new disk size applies to new workspaces. Only its
 * labels follow the spec, and its hash records that it was converged.
 */
export const convergeClaim: Converge<V1PersistentVolumeClaim> = {
  update: (existing, desired) => ({
    ...existing,
    metadata: { ...existing.metadata, labels: desired.metadata?.labels, annotations: mergedAnnotations(existing, desired) },
  }),
};

/** A namespace of that name that Podspace didn't make is someone else's: never take it over. */
export const convergeNamespace: Converge<V1Namespace> = {
  update: (existing, desired) => {
    if (!isManagedByPodspace(existing)) {
      throw new RuntimeError(
        "invalid",
        `Namespace ${existing.metadata?.name} already exists and is not managed by Podspace; change the team's slug or the namespace prefix`,
      );
    }
    return {
      ...existing,
      metadata: { ...existing.metadata, labels: { ...existing.metadata?.labels, ...desired.metadata?.labels }, annotations: mergedAnnotations(existing, desired) },
    };
  },
};

function mergedAnnotations(existing: KubernetesObject, desired: KubernetesObject): Record<string, string> {
  return { ...existing.metadata?.annotations, ...desired.metadata?.annotations };
}

function replaceWith<T extends KubernetesObject>(existing: T, desired: T): T {
  return { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } };
}
