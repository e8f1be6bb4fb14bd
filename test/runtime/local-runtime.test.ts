import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import { processStartTime, readLiveProcessRecord, WORKSPACE_PROCESS_VARIABLE } from "@/lib/runtime/local/process-record";
import type { RuntimeEvent, WorkspaceRuntime, WorkspaceSpec } from "@/lib/runtime/types";
import { endLocalWorkspaces, workspaceProcesses } from "../helpers/local-workspaces";
import { contractSpec, outputLine, runInTerminal, TEST_SHARED_PATHS, waitForIdeReady, waitForState } from "./contract";

// What only the local driver promises: processes survive a Podspace restart
// and are found again, crashes are reported, and starts don't pile up.

describe("local runtime", { timeout: 60_000 }, () => {
  let dataDir: string;
  let runtimes: WorkspaceRuntime[];
  const open = () => {
    const runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    runtimes.push(runtime);
    return runtime;
  };
  const recordsDir = () => path.join(dataDir, "runtime", "local");
  /** A runtime that records its events, with `spec` provisioned and started on it. */
  const startWatched = async (spec: WorkspaceSpec) => {
    const runtime = open();
    const events: RuntimeEvent[] = [];
    runtime.watch((event) => events.push(event));
    await runtime.provision(spec);
    await runtime.start(spec);
    return { runtime, events };
  };

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-local-"));
    runtimes = [];
  });
  afterEach(async () => {
    for (const runtime of runtimes) await runtime.close();
    // A test that failed before destroying its workspace would leave it running.
    await endLocalWorkspaces(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("finds a running IDE again after a restart, and stops it", async () => {
    const spec = contractSpec("restart");
    const before = open();
    await before.provision(spec);
    await before.start(spec);
    await waitForState(before, spec, "running");
    const { pid } = (await readLiveProcessRecord(recordsDir(), spec.id))!;
    await before.close();

    const after = open();
    expect((await after.status(spec)).state).toBe("running");
    await after.stop(spec);
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await after.status(spec)).state).toBe("stopped");
  });

  it("starts once when asked twice at the same time", async () => {
    const spec = contractSpec("twice");
    const runtime = open();
    await runtime.provision(spec);
    await Promise.all([runtime.start(spec), runtime.start(spec)]);
    await waitForState(runtime, spec, "running");
    await runtime.start(spec);
    expect(await workspaceProcesses(spec.id)).toHaveLength(1);
    await runtime.destroy(spec);
  });

  it("ends what a start cut short between spawning and recording left running, and starts one IDE", async () => {
    const spec = contractSpec("interrupted");
    const runtime = open();
    await runtime.provision(spec);
    const home = path.join(dataDir, "workspaces", spec.id);
    // As a Podspace killed right after spawning would leave it: the marker, and a process nobody recorded.
    await fs.mkdir(recordsDir(), { recursive: true });
    await fs.writeFile(path.join(recordsDir(), `${spec.id}.spawning`), "");
    const orphan = spawn("sleep", ["60"], { cwd: home, detached: true, stdio: "ignore", env: { ...process.env, [WORKSPACE_PROCESS_VARIABLE]: spec.id } });
    orphan.unref();
    const unrelated = spawn("sleep", ["60"], { cwd: home, detached: true, stdio: "ignore", env: { ...process.env, [WORKSPACE_PROCESS_VARIABLE]: "another" } });
    unrelated.unref();
    await expect.poll(() => workspaceProcesses(spec.id)).toEqual([orphan.pid]);

    await runtime.start(spec);
    await waitForState(runtime, spec, "running");
    expect(() => process.kill(orphan.pid!, 0)).toThrow();
    const { pid } = (await readLiveProcessRecord(recordsDir(), spec.id))!;
    expect(await workspaceProcesses(spec.id)).toEqual([pid]);
    expect(() => process.kill(unrelated.pid!, 0)).not.toThrow();
    await expect(fs.access(path.join(recordsDir(), `${spec.id}.spawning`))).rejects.toThrow();
    process.kill(-unrelated.pid!, "SIGKILL");
    await runtime.stop(spec);
  });

  it("reports an IDE that dies as a crash", async () => {
    const spec = contractSpec("crash");
    const { runtime, events } = await startWatched(spec);
    await waitForState(runtime, spec, "running");
    const { pid } = (await readLiveProcessRecord(recordsDir(), spec.id))!;
    process.kill(-pid, "SIGKILL");

    await expect.poll(() => events.find((e) => e.type === "status" && e.status.state === "failed")).toMatchObject({
      status: { reason: "crashed", message: expect.stringMatching(/exited/) },
    });
    expect((await runtime.status(spec)).state).toBe("failed");
    await runtime.start(spec); // recovering is a plain start
    await waitForState(runtime, spec, "running");
    await runtime.destroy(spec);
  });

  it("starts the IDE even when the startup script fails, and warns with its exit code and output, once per start that fails", async () => {
    // Fails on its first run only.
    const spec = contractSpec("script", { startupScript: "test -e ~/.ran || { touch ~/.ran; echo first-run-output; exit 3; }" });
    const { runtime, events } = await startWatched(spec);
    await waitForIdeReady(events, spec);
    const log = await fs.readFile(path.join(recordsDir(), `${spec.id}.log`), "utf8");
    expect(log).toMatch(/first-run-output\n.*startup script failed with exit code 3/s);
    const warnings = () => events.filter((event) => event.type === "progress" && event.warning);
    expect(warnings()).toEqual([
      {
        type: "progress",
        workspaceId: spec.id,
        step: "ide",
        warning: true,
        message: "The template's startup script failed with exit code 3; the IDE started all the same.\nfirst-run-output",
      },
    ]);

    // The next start's script succeeds: the log still holds the first failure, but that was another start's.
    await runtime.stop(spec);
    events.length = 0;
    await runtime.start(spec);
    await waitForIdeReady(events, spec);
    expect(warnings()).toEqual([]);
    await runtime.destroy(spec);
  });

  it("fails a start whose IDE never answers, with the reason", async () => {
    const spec = contractSpec("broken", { ide: { command: ["/bin/sh", "-c", "echo no ide here; exit 3"], port: 1, healthPath: "/healthz" } });
    const runtime = open();
    await runtime.provision(spec);
    await runtime.start(spec);
    const failed = await waitForState(runtime, spec, "failed");
    expect(failed.reason).toBe("crashed");
  });

  it("runs the terminal while the IDE is still starting, then reports the IDE ready", async () => {
    const slowIde = ["/bin/sh", "-c", `sleep 3; exec ${contractSpec("x").ide.command.map((part) => `'${part}'`).join(" ")}`];
    const spec = contractSpec("slowide", { ide: { command: slowIde, port: 13337, healthPath: "/healthz" } });
    const { runtime, events } = await startWatched(spec);
    await waitForState(runtime, spec, "running");

    const terminal = await runtime.attachTerminal(spec, { cols: 80, rows: 24 });
    try {
      expect(await runInTerminal(terminal, "echo $((6*7))", outputLine("42"))).toBeTruthy();
    } finally {
      terminal.close();
    }
    const stepsOf = () => events.flatMap((event) => (event.type === "progress" && event.workspaceId === spec.id ? [event.step] : []));
    expect(stepsOf()).toContain("shell");
    expect(stepsOf()).not.toContain("ready");
    await waitForIdeReady(events, spec);
    expect((await runtime.status(spec)).state).toBe("running");
    await runtime.destroy(spec);
  });

  it("fails the workspace once, with the install's reason, when code-server can't be installed", async () => {
    // A registry nobody answers at: npm fails at once.
    const saved = { registry: process.env.npm_config_registry, retries: process.env.npm_config_fetch_retries };
    process.env.npm_config_registry = "http://127.0.0.1:9/";
    process.env.npm_config_fetch_retries = "0";
    try {
      const spec = contractSpec("noinstall", { ide: { command: ["code-server", "--bind-addr", "{host}:{port}"], port: 13337, healthPath: "/healthz" } });
      const { runtime, events } = await startWatched(spec);
      // The shell runs while the install is attempted…
      await waitForState(runtime, spec, "running");
      // …which then fails the workspace, saying why, and stays failed.
      const failed = await waitForState(runtime, spec, "failed", 120_000);
      expect(failed.message).toMatch(/^code-server's install failed installing Node\.js 24: npm exited with code \d+\.\n/);
      expect(failed.message).toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
      expect(await runtime.status(spec)).toEqual(failed);
      const attempts = events.filter((event) => event.type === "progress" && event.workspaceId === spec.id && /Installing Node/.test(event.message));
      expect(attempts).toHaveLength(1);
      await expect(runtime.attachTerminal(spec, { cols: 80, rows: 24 })).rejects.toMatchObject({ code: "not-running" });
      await runtime.destroy(spec);
    } finally {
      for (const [name, value] of [["npm_config_registry", saved.registry], ["npm_config_fetch_retries", saved.retries]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("names missing build tools, with the command that installs them, on /admin/health's probe", async () => {
    const runtime = open();
    await expect(runtime.probe()).resolves.toMatch(/processes on this host/);
    const savedPath = process.env.PATH;
    process.env.PATH = path.dirname(process.execPath);
    try {
      await expect(runtime.probe()).rejects.toThrow(
        "building code-server's native modules needs c++, make, python3, missing on this machine; install with: sudo apt-get install -y g++ make python3",
      );
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it("ends a workspace an unsandboxed Podspace left running, so that its next start is sandboxed", async () => {
    const spec = contractSpec("legacy");
    await open().provision(spec);
    // As a Podspace from before the sandbox left it: an IDE process on the host, recorded with its port.
    const ide = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    ide.unref();
    await fs.mkdir(recordsDir(), { recursive: true });
    const startTime = await processStartTime(ide.pid!);
    await fs.writeFile(path.join(recordsDir(), `${spec.id}.json`), JSON.stringify({ pid: ide.pid, port: 41234, startTime }));

    const runtime = open();
    expect((await runtime.status(spec)).state).toBe("stopped");
    expect(() => process.kill(ide.pid!, 0)).toThrow();
    await runtime.start(spec);
    await waitForState(runtime, spec, "running");
    expect((await readLiveProcessRecord(recordsDir(), spec.id))?.sandboxPid).toBeGreaterThan(0);
    await runtime.destroy(spec);
  });

  it("fails a sandbox that can't be made with bubblewrap's own reason", async () => {
    const spec = contractSpec("nosandbox");
    const runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: ["/no/such/toolchain"] });
    runtimes.push(runtime);
    await runtime.provision(spec);
    await runtime.start(spec);
    const failed = await waitForState(runtime, spec, "failed");
    // Whether bwrap fails before or after reporting its pid, its own words end the message.
    expect(failed.message).toMatch(/exited with code 1.*\nbwrap: Can't find source path \/no\/such\/toolchain/s);
  });

  it("refuses to start a workspace that was never provisioned", async () => {
    await expect(open().start(contractSpec("ghost"))).rejects.toMatchObject({ code: "not-found" });
  });
});
