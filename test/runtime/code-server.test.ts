import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { RuntimeEvent } from "@/lib/runtime/types";
import { contractSpec, getThroughIde, waitForIdeReady, waitForState } from "./contract";

// The real IDE on the local runtime. code-server is installed on first use
// into the shared cache (minutes, once per machine), so this is the one test
// that may be slow the first time.

const cacheDir = process.env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace");

describe("code-server on the local runtime", { timeout: 600_000 }, () => {
  const spec = contractSpec(`cs${Date.now().toString(36)}`, {
    ide: {
      command: ["code-server", "--bind-addr", "{host}:{port}", "--auth", "none", "--disable-telemetry", "--disable-update-check", "."],
      port: 13337,
      healthPath: "/healthz",
    },
  });
  let dataDir: string;
  const runtime = (async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-code-server-"));
    return createLocalRuntime({ dataDir, cacheDir });
  })();

  afterAll(async () => {
    const local = await runtime;
    await local.destroy(spec);
    await local.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("installs code-server on first use (or reuses the cached install) and serves the IDE", async () => {
    const local = await runtime;
    const events: RuntimeEvent[] = [];
    local.watch((event) => events.push(event));
    await local.provision(spec);
    await local.start(spec);
    const status = await waitForState(local, spec, "running").catch((error: Error) => {
      throw new Error(`${error.message}\nevents: ${JSON.stringify(events, null, 1)}`);
    });
    expect(status.state).toBe("running");
    await waitForIdeReady(events, spec, 540_000);

    const health = await getThroughIde(local, spec, "/healthz");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: expect.stringMatching(/alive|expired/) });
    const workbench = await getThroughIde(local, spec, "/");
    expect([200, 302]).toContain(workbench.status);
  });
});
