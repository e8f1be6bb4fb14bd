import type { WorkspaceParameters } from "./parameters";

// How a workspace's parameter values reach it: as environment variables the
// template's startup script reads, e.g. PODSPACE_PARAM_NODE_VERSION=22.
// Booleans are "true"/"false". The built-in templates in k8s/templates rely
// on this naming.

export const PARAMETER_ENV_PREFIX = "PODSPACE_PARAM_";

/** The variable a parameter is exposed as: node_version → PODSPACE_PARAM_NODE_VERSION. */
export function parameterEnvName(name: string): string {
  return `${PARAMETER_ENV_PREFIX}${name.toUpperCase()}`;
}

/** The environment for a workspace's parameter values, to merge over the template's env. */
export function parameterEnv(values: WorkspaceParameters["values"]): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [parameterEnvName(name), String(value)]));
}
