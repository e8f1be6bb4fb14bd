// PODSPACE_RUNTIME=kubernetes is checked when the runtime is chosen: backups
// run in pods, which can't reach a folder in Podspace's pod, so they need
// an S3 bucket (or to be off).
import { afterEach, describe, expect, it, vi } from "vitest";

async function chooseRuntime(settings: Record<string, string>): Promise<unknown> {
  for (const [name, value] of Object.entries(settings)) vi.stubEnv(name, value);
  // lib/env.ts reads the environment once, when it is first imported.
  vi.resetModules();
  const { getRuntime, installRuntime } = await import("@/lib/runtime/runtime");
  try {
    return await getRuntime();
  } finally {
    installRuntime(undefined);
  }
}

describe("choosing the Kubernetes runtime", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  const kubernetes = { PODSPACE_RUNTIME: "kubernetes", KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "" };

  it("refuses backups into a folder", async () => {
    await expect(chooseRuntime({ ...kubernetes, PODSPACE_BACKUPS: "on", PODSPACE_BACKUP_S3_BUCKET: "" })).rejects.toThrow(
      /backups need an S3-compatible bucket \(PODSPACE_BACKUP_S3_BUCKET/,
    );
  });

  it("goes on with a bucket, or with backups off", async () => {
    // Past the check, the next thing it needs is a cluster.
    await expect(chooseRuntime({ ...kubernetes, PODSPACE_BACKUP_S3_BUCKET: "podspace-backups" })).rejects.toThrow(/needs KUBECONFIG/);
    await expect(chooseRuntime({ ...kubernetes, PODSPACE_BACKUPS: "off", PODSPACE_BACKUP_S3_BUCKET: "" })).rejects.toThrow(/needs KUBECONFIG/);
  });
});
