import { KubeConfig } from "@kubernetes/client-node";
import { aiGateway } from "@/lib/ai/config";
import { ConfigError, env } from "@/lib/env";
import type { WorkspaceRuntime } from "../types";
import { createKubernetesRuntime } from "./driver";

/** The Kubernetes driver configured by KUBECONFIG (or the in-cluster service account) and PODSPACE_K8S_*. */
export function createKubernetesRuntimeFromEnv(): WorkspaceRuntime {
  const kubeConfig = new KubeConfig();
  const inCluster = !env.KUBECONFIG;
  if (inCluster && !env.KUBERNETES_SERVICE_HOST) {
    throw new ConfigError("PODSPACE_RUNTIME=kubernetes needs KUBECONFIG, or must run in a Kubernetes pod with a service account");
  }
  try {
    if (inCluster) kubeConfig.loadFromCluster();
    else kubeConfig.loadFromFile(env.KUBECONFIG!);
  } catch (error) {
    throw new ConfigError(
      inCluster
        ? `PODSPACE_RUNTIME=kubernetes: cannot read this pod's service account (${(error as Error).message})`
        : `KUBECONFIG: cannot read ${env.KUBECONFIG} (${(error as Error).message})`,
    );
  }
  if (!kubeConfig.getCurrentCluster()) throw new ConfigError("KUBECONFIG: the kubeconfig names no current cluster");
  return createKubernetesRuntime({
    kubeConfig,
    namespacePrefix: env.PODSPACE_K8S_NAMESPACE_PREFIX,
    storageClass: env.PODSPACE_K8S_STORAGE_CLASS,
    egressAllow: env.PODSPACE_K8S_EGRESS_ALLOW,
    selfNamespace: env.PODSPACE_K8S_SELF_NAMESPACE,
    inCluster,
    homeToolImage: env.PODSPACE_BACKUP_IMAGE,
    aiPort: aiGateway().on ? env.PODSPACE_AI_PORT : undefined,
  });
}
