import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import { describeRuntimeContract, TEST_SHARED_PATHS } from "./contract";

describeRuntimeContract("local", async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-local-runtime-"));
  // As the app makes it (lib/runtime/runtime.ts): every sandbox's relay also listens for the AI gateway.
  const runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS, aiSocketDir: path.join(dataDir, "runtime", "ai") });
  return {
    runtime,
    async assertNothingLeft(spec) {
      await expect(fs.access(path.join(dataDir, "workspaces", spec.id))).rejects.toThrow();
      expect(await fs.readdir(path.join(dataDir, "runtime", "local"))).toEqual([]);
    },
    async teardown() {
      await runtime.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
});
