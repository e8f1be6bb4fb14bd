// Renders a kustomization the way `kubectl apply -k` does: with kubectl's
// built-in kustomize (the machine image's kubectl 1.32 carries kustomize
// v5.5; Debian's kubernetes-client 1.20 is too old for `labels`).
// Reimplementing kustomize for the tests would test the copy.
import { spawnSync } from "node:child_process";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";

export function kustomize(dir: string): KubernetesObject[] {
  const run = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 60_000 });
  if (run.error) {
    throw new Error(`kubectl kustomize ${dir}: ${run.error.message} (the tests need kubectl 1.27+ on PATH, for its kustomize v5)`);
  }
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout).map((document) => {
    if (document.errors.length > 0) throw document.errors[0]!;
    return document.toJS() as KubernetesObject;
  });
}
