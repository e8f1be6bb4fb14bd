import type { KubernetesObject } from "@kubernetes/client-node";
import type { WorkspaceSpec } from "../types";

// Every object the driver owns has a name derived from the workspace id or
// team slug alone, so a retried call finds what an earlier attempt created
// instead of making a second one.

export const MANAGED_BY = { "app.kubernetes.io/managed-by": "podspace" } as const;
export const MANAGED_SELECTOR = "app.kubernetes.io/managed-by=podspace";

export function isManagedByPodspace(object: KubernetesObject): boolean {
  return object.metadata?.labels?.["app.kubernetes.io/managed-by"] === MANAGED_BY["app.kubernetes.io/managed-by"];
}

/** The label naming a workspace's id on its pod, service and volume. */
export const WORKSPACE_LABEL = "podspace.dev/workspace";
export const TEAM_LABEL = "podspace.dev/team";

/** The workspace's only container; exec and status look for it by name. */
export const CONTAINER_NAME = "workspace";
export { WORKSPACE_HOME as HOME_DIR } from "../types";

export function teamNamespace(prefix: string, teamSlug: string): string {
  return `${prefix}${teamSlug}`;
}

/** Whether `namespace` is a team's: it has the prefix and is not the one Podspace itself runs in. */
export function isTeamNamespace(namespace: string | undefined, options: { namespacePrefix: string; selfNamespace: string }): boolean {
  return Boolean(namespace?.startsWith(options.namespacePrefix)) && namespace !== options.selfNamespace;
}

export function podName(workspaceId: string): string {
  return `ws-${workspaceId}`;
}

/** The Service shares the pod's name, so in-cluster DNS reads `ws-<id>.<namespace>.svc`. */
export const serviceName = podName;

export function homeClaimName(workspaceId: string): string {
  return `ws-${workspaceId}-home`;
}

/** The Secret holding the workspace's secret environment (WorkspaceSpec.secretEnv), which its pod reads by reference. */
export function envSecretName(workspaceId: string): string {
  return `ws-${workspaceId}-env`;
}

/** Where one workspace's objects live. */
export interface WorkspaceRef {
  namespace: string;
  pod: string;
  service: string;
  claim: string;
  envSecret: string;
}

export function workspaceRef(prefix: string, spec: WorkspaceSpec): WorkspaceRef {
  return {
    namespace: teamNamespace(prefix, spec.teamSlug),
    pod: podName(spec.id),
    service: serviceName(spec.id),
    claim: homeClaimName(spec.id),
    envSecret: envSecretName(spec.id),
  };
}

/** What selects a workspace's pod: stable across template versions, so the Service never needs a new selector. */
export function podSelector(workspaceId: string): Record<string, string> {
  return { "app.kubernetes.io/name": "podspace-workspace", "app.kubernetes.io/instance": workspaceId };
}

export function workspaceLabels(spec: WorkspaceSpec): Record<string, string> {
  return {
    ...podSelector(spec.id),
    ...MANAGED_BY,
    "app.kubernetes.io/component": "workspace",
    [WORKSPACE_LABEL]: spec.id,
    [TEAM_LABEL]: spec.teamSlug,
    "podspace.dev/user": spec.ownerId,
    "podspace.dev/template": spec.templateSlug,
  };
}
