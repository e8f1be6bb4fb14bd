import os from "node:os";
import path from "node:path";
import { localAiSocketDir } from "@/lib/ai/workspace-env";
import { ConfigError, env } from "@/lib/env";
import { createLocalRuntime } from "./local/local-runtime";
import type { WorkspaceRuntime } from "./types";

// The workspace runtime this Podspace process uses, chosen by
// PODSPACE_RUNTIME. One instance per process (shared by server.ts and the
// Next.js bundle through a global symbol), so there is one set of watches.

const RUNTIME = Symbol.for("podspace.runtime");
const globalStore = globalThis as { [RUNTIME]?: Promise<WorkspaceRuntime> };

export function getRuntime(): Promise<WorkspaceRuntime> {
  return (globalStore[RUNTIME] ??= createRuntime());
}

/** Makes this process use a runtime built elsewhere (a test's or a bench's, with its own data dir); undefined forgets it. */
export function installRuntime(runtime: WorkspaceRuntime | undefined): void {
  if (runtime) globalStore[RUNTIME] = Promise.resolve(runtime);
  else delete globalStore[RUNTIME];
}

export async function closeRuntime(): Promise<void> {
  const runtime = globalStore[RUNTIME];
  delete globalStore[RUNTIME];
  await (await runtime)?.close();
}

async function createRuntime(): Promise<WorkspaceRuntime> {
  if (env.PODSPACE_RUNTIME === "local") {
    return createLocalRuntime({
      dataDir: env.PODSPACE_DATA_DIR,
      cacheDir: env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace"),
      sharedPaths: env.PODSPACE_LOCAL_SHARED_PATHS,
      // Mounted whether or not the gateway is on now: one turned on later then reaches the workspaces already running.
      aiSocketDir: localAiSocketDir(),
    });
  }
  // Backups run in pods, which can't reach a folder on Podspace's host.
  if (env.PODSPACE_BACKUPS === "on" && !env.PODSPACE_BACKUP_S3_BUCKET) {
    throw new ConfigError(
      "PODSPACE_RUNTIME=kubernetes: backups need an S3-compatible bucket (PODSPACE_BACKUP_S3_BUCKET and its endpoint and credentials), or PODSPACE_BACKUPS=off",
    );
  }
  // Loaded only when used: the local default never pays for the client.
  const { createKubernetesRuntimeFromEnv } = await import("./kubernetes/from-env");
  return createKubernetesRuntimeFromEnv();
}
