import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeAbandonedStaging } from "@/lib/runtime/local/code-server";
import { isAlive } from "@/lib/runtime/local/process-group";

// What an install of code-server that was cut short leaves behind: its
// staging dir (hundreds of megabytes) and its running steps.

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-code-server-install-"));
});
afterEach(async () => {
  await fs.rm(cacheDir, { recursive: true, force: true });
});

/** A pid that was a process a moment ago and is none now. */
async function deadPid(): Promise<number> {
  const child = spawn("true");
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("a code-server install cut short", () => {
  it("leaves no staging dir once the next install begins, but a live process's install is left alone", async () => {
    const dir = path.join(cacheDir, "code-server-4.139.1");
    const live = spawn("sleep", ["30"]);
    try {
      const stagings = {
        abandoned: `${dir}.partial-${await deadPid()}`,
        anotherProcesses: `${dir}.partial-${live.pid}`,
        ours: `${dir}.partial-${process.pid}`,
        anotherVersions: path.join(cacheDir, `code-server-4.0.0.partial-${await deadPid()}`),
      };
      for (const staging of Object.values(stagings)) {
        await fs.mkdir(path.join(staging, "node_modules"), { recursive: true });
        await fs.writeFile(path.join(staging, "package.json"), "{}");
      }

      await removeAbandonedStaging(dir);

      const left = await fs.readdir(cacheDir);
      expect(left.sort()).toEqual([stagings.anotherProcesses, stagings.ours, stagings.anotherVersions].map((staging) => path.basename(staging)).sort());
    } finally {
      live.kill();
    }
  });

  it("ends the steps under way, and what they started, when Podspace's process exits", { timeout: 30_000 }, async () => {
    const pidFile = path.join(cacheDir, "step-child.pid");
    const podspace = spawn("tsx", ["test/fixtures/install-step-exit.ts"], { env: { ...process.env, INSTALL_STEP_PID_FILE: pidFile }, stdio: "inherit" });
    const code = await new Promise((resolve) => podspace.once("exit", resolve));
    expect(code).toBe(0);
    const stepChild = Number((await fs.readFile(pidFile, "utf8")).trim());
    expect(stepChild).toBeGreaterThan(0);
    await expect.poll(() => isAlive(stepChild), { timeout: 5_000 }).toBe(false);
  });
});
