import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "@/lib/runtime/startup-command";
import type { ExecOptions, ObservedState, PortTarget, RuntimeEvent, TerminalSession, WorkspaceRuntime, WorkspaceSpec } from "@/lib/runtime/types";

// One behavioural contract, run against every driver: what the lifecycle code
// relies on, end to end, through real processes (and for Kubernetes, a real
// apiserver and node agent).

export interface ContractTarget {
  runtime: WorkspaceRuntime;
  /** Asserts nothing of the workspace is left (directories, pods, volumes, …). */
  assertNothingLeft(spec: WorkspaceSpec): Promise<void>;
  teardown(): Promise<void>;
}

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const IDE_SERVER = path.join(FIXTURES, "ide-server.mjs");

/**
 * What the test IDEs need inside a local workspace's sandbox: this Node.js,
 * the fixtures and the one package they import (ws), read-only at their own
 * paths (PODSPACE_LOCAL_SHARED_PATHS).
 */
export const TEST_SHARED_PATHS = [path.dirname(process.execPath), FIXTURES, path.resolve(import.meta.dirname, "../../node_modules/ws")];

export function contractSpec(id: string, overrides: Partial<WorkspaceSpec> = {}): WorkspaceSpec {
  return {
    id,
    name: `contract-${id}`,
    teamSlug: "contract",
    ownerId: "user-1",
    templateSlug: "test",
    templateVersion: 1,
    image: "podspace/test-ide:1",
    resources: { cpuMillicores: 500, memoryMiB: 512, diskGiB: 1 },
    env: { PODSPACE_WORKSPACE: id },
    startupScript: 'echo "started at $(date)" >> startup.log',
    ide: { command: [process.execPath, IDE_SERVER, "{host}", "{port}"], port: 13337, healthPath: "/healthz" },
    ...overrides,
  };
}

/**
 * A startup-script line that serves HTTP on `host`:`port` in the background,
 * as a user's app would (the test IDE's server: it answers any path).
 */
export function backgroundServer(host: string, port: number): string {
  return `(${[process.execPath, IDE_SERVER, host, String(port)].map(shellQuote).join(" ")} > server-${port}.log 2>&1 &)`;
}

export async function waitForState(runtime: WorkspaceRuntime, spec: WorkspaceSpec, state: ObservedState, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await runtime.status(spec);
  while (last.state !== state) {
    if (Date.now() > deadline) throw new Error(`workspace ${spec.id} did not reach ${state}; last status ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await runtime.status(spec);
  }
  return last;
}

/**
 * Resolves once the runtime reports the workspace's IDE ready (the `ready`
 * step): a running workspace's terminal works before its IDE answers.
 */
export async function waitForIdeReady(events: RuntimeEvent[], spec: WorkspaceSpec, timeoutMs = 120_000) {
  const ready = () => events.some((event) => event.type === "progress" && event.workspaceId === spec.id && event.step === "ready");
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`the IDE of ${spec.id} was not reported ready; events: ${JSON.stringify(events.filter((e) => e.workspaceId === spec.id))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resolves once the workspace's IDE answers its health path through the runtime's target. */
export async function waitForIdeAnswer(runtime: WorkspaceRuntime, spec: WorkspaceSpec, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await getThroughIde(runtime, spec, spec.ide.healthPath).catch(() => null))?.status !== 200) {
    if (Date.now() > deadline) throw new Error(`the IDE of ${spec.id} did not answer ${spec.ide.healthPath}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Matches `text` as a whole line of terminal output. */
export const outputLine = (text: string) => new RegExp(`(^|\\n)\\r*${text}\\r?\\n`);

/** Types a command into the shell and resolves with the output once `expected` shows up. */
export async function runInTerminal(terminal: TerminalSession, command: string, expected: RegExp, timeoutMs = 20_000) {
  let output = "";
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${expected} in terminal output:\n${output}`)), timeoutMs);
    terminal.onData((data) => {
      // Without the escape sequences a shell adds (bracketed paste, colours).
      output += Buffer.from(data).toString("utf8").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
      if (expected.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    terminal.write(`${command}\r`);
  });
}

export async function getThroughIde(runtime: WorkspaceRuntime, spec: WorkspaceSpec, urlPath: string) {
  return getThrough(await runtime.ideTarget(spec), urlPath);
}

/** GET over a stream from `PortTarget.connect()`, as the reverse proxy does; rejects with what the target or its stream failed with. */
export function getThrough(target: PortTarget, urlPath: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(
      {
        path: urlPath,
        headers: { host: "workspace" },
        createConnection: (_options, onCreate) => {
          target.connect().then((stream) => onCreate(null, stream), (error: Error) => onCreate(error, undefined as never));
          return undefined;
        },
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.once("error", reject);
    request.end();
  });
}

/** Runs `command` through runtime.exec, collecting its output. */
export async function execCollecting(runtime: WorkspaceRuntime, spec: WorkspaceSpec, options: Partial<ExecOptions> & { command: string[] }) {
  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const result = await runtime.exec(spec, {
    timeoutMs: 30_000,
    onStdout: (chunk) => void out.stdout.push(chunk),
    onStderr: (chunk) => out.stderr.push(chunk),
    ...options,
  });
  return { ...result, stdout: Buffer.concat(out.stdout).toString(), stderr: Buffer.concat(out.stderr).toString() };
}

/** Whether the process `pid` in the workspace still runs (a zombie doesn't), asked by a second exec. */
export async function processRunsIn(runtime: WorkspaceRuntime, spec: WorkspaceSpec, pid: string): Promise<boolean> {
  const check = await execCollecting(runtime, spec, {
    command: ["/bin/sh", "-c", 'kill -0 "$1" 2>/dev/null && [ "$(cut -d" " -f3 "/proc/$1/stat")" != Z ] && echo running || echo gone', "sh", pid],
  });
  expect(check.stdout.trim()).toMatch(/^(running|gone)$/);
  return check.stdout.trim() === "running";
}

export function describeRuntimeContract(name: string, setup: () => Promise<ContractTarget>) {
  describe(`${name} runtime contract`, { timeout: 180_000 }, () => {
    let target: ContractTarget;
    const events: RuntimeEvent[] = [];
    /** An app the workspace serves besides its IDE, as a preview URL shows it. */
    const appPort = 3000;
    const base = contractSpec(`c${Date.now().toString(36)}`);
    const spec = { ...base, startupScript: `${base.startupScript}\n${backgroundServer("0.0.0.0", appPort)}` };

    beforeAll(async () => {
      // A secret in Podspace's own environment that must not reach a workspace shell.
      process.env.PODSPACE_TEST_CANARY = "must-not-leak";
      target = await setup();
      target.runtime.watch((event) => events.push(event));
    }, 180_000);
    afterAll(async () => {
      await target?.runtime.destroy(spec).catch(() => {});
      await target?.teardown();
    });

    it("provisions and starts a workspace, reporting each step", async () => {
      await target.runtime.prepareTeam({
        slug: spec.teamSlug,
        limits: { cpuMillicores: 4000, memoryMiB: 8192, storageGiB: 20, workspaces: 5, runningWorkspaces: 3 },
      });
      await target.runtime.provision(spec);
      await target.runtime.provision(spec); // retried: still one
      await target.runtime.start(spec);
      await waitForState(target.runtime, spec, "running", 120_000);
      // The reconciler's one call per pass sees it too.
      expect((await target.runtime.listActive()).get(spec.id)?.state).toBe("running");
      await waitForIdeReady(events, spec);

      const steps = events.filter((e) => e.type === "progress" && e.workspaceId === spec.id).map((e) => e.type === "progress" && e.step);
      expect(steps).toEqual(expect.arrayContaining(["volume", "scheduling", "shell", "ide", "ready"]));
      expect(steps.indexOf("shell")).toBeGreaterThan(steps.indexOf("volume"));
      expect(steps.indexOf("ready")).toBeGreaterThan(steps.indexOf("shell"));
    });

    it("attaches a terminal in the workspace's home with the workspace's environment", async () => {
      const terminal = await target.runtime.attachTerminal(spec, { cols: 100, rows: 30 });
      try {
        expect(await runInTerminal(terminal, "echo $((6*7))", outputLine("42"))).toMatch(/42/);
        expect(await runInTerminal(terminal, "echo ws=$PODSPACE_WORKSPACE", new RegExp(`ws=${spec.id}`))).toBeTruthy();
        // No Podspace secret leaks into the shell.
        const env = await runInTerminal(terminal, "env | grep -c -E '^(AUTH_SECRET|DATABASE_URL|PODSPACE_TEST_CANARY)=' ; echo env-done", outputLine("env-done"));
        expect(env).toMatch(outputLine("0"));
        terminal.resize(120, 40);
        expect(await runInTerminal(terminal, "stty size", /40 120/)).toBeTruthy();
        await runInTerminal(terminal, "echo kept > kept.txt && echo written", outputLine("written"));
      } finally {
        terminal.close();
      }
    });

    it("serves the IDE through the resolved target", async () => {
      const health = await getThroughIde(target.runtime, spec, spec.ide.healthPath);
      expect(health.status).toBe(200);
      const page = await getThroughIde(target.runtime, spec, "/some/page");
      expect(page.body).toMatch(/^test ide at \/some\/page/);
    });

    it("lists the ports the workspace's processes listen on, the IDE's and the runtime's own left out, and reaches them", async () => {
      const deadline = Date.now() + 30_000;
      let ports = await target.runtime.listeningPorts(spec);
      // The app starts in the background, alongside the IDE.
      while (ports.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        ports = await target.runtime.listeningPorts(spec);
      }
      expect(ports.map(({ port }) => port)).toEqual([appPort]);
      const page = await getThrough(await target.runtime.portTarget(spec, appPort), "/app?x=1");
      expect(page).toMatchObject({ status: 200, body: expect.stringMatching(/^test ide at \/app\?x=1/) });
    });

    it("runs a command as the workspace's user, in its home or a given directory, with output, exit code, environment and stdin", async () => {
      const first = await execCollecting(target.runtime, spec, {
        command: ["/bin/sh", "-c", 'pwd; echo "$HOME"; echo "ws=$PODSPACE_WORKSPACE extra=$EXTRA"; echo oops >&2; exit 3'],
        env: { EXTRA: "a b;c" },
      });
      expect(first).toMatchObject({ exitCode: 3, timedOut: false, stderr: "oops\n" });
      const [dir, home, env] = first.stdout.split("\n");
      expect(dir).toBe(home);
      expect(env).toBe(`ws=${spec.id} extra=a b;c`);

      await execCollecting(target.runtime, spec, { command: ["mkdir", "-p", "sub/dir"] });
      expect(await execCollecting(target.runtime, spec, { command: ["pwd"], cwd: "sub/dir" })).toMatchObject({ exitCode: 0, stdout: `${dir}/sub/dir\n` });
      // No Podspace secret leaks into the command.
      expect((await execCollecting(target.runtime, spec, { command: ["env"] })).stdout).not.toMatch(/AUTH_SECRET|DATABASE_URL|PODSPACE_TEST_CANARY/);

      const input = Readable.from([Buffer.from("first line\n"), Buffer.from("and ünïcode, split"), Buffer.from(" across chunks\n")]);
      expect(await execCollecting(target.runtime, spec, { command: ["sh", "-c", "cat; echo done"], stdin: input })).toMatchObject({
        exitCode: 0,
        stdout: "first line\nand ünïcode, split across chunks\ndone\n",
      });
      expect((await execCollecting(target.runtime, spec, { command: ["no-such-command-here"] })).exitCode).toBe(127);
    });

    it("kills a timed-out command with everything it started", async () => {
      const run = await execCollecting(target.runtime, spec, { command: ["/bin/sh", "-c", "sleep 300 & echo $!; sleep 300"], timeoutMs: 2_000 });
      expect(run).toMatchObject({ timedOut: true, exitCode: null });
      const child = run.stdout.trim();
      expect(child).toMatch(/^\d+$/);
      expect(await processRunsIn(target.runtime, spec, child)).toBe(false);
    });

    it("holds a command's output back while onStdout's promise is pending: the command waits to write", async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      let stdout = 0;
      let stderr = "";
      const run = target.runtime.exec(spec, {
        // Far more than the pipes and sockets on the way hold.
        command: ["/bin/sh", "-c", "head -c 67108864 /dev/zero; echo written >&2"],
        timeoutMs: 60_000,
        onStdout: (chunk) => {
          stdout += chunk.length;
          if (++calls === 1) return held;
        },
        onStderr: (chunk) => void (stderr += chunk.toString()),
      });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect([calls, stderr]).toEqual([1, ""]);
      release();
      expect(await run).toMatchObject({ exitCode: 0 });
      expect([stdout, stderr]).toEqual([64 << 20, "written\n"]);
    });

    it("kills an aborted command with everything it started", async () => {
      const abort = new AbortController();
      let pid = "";
      const run = execCollecting(target.runtime, spec, {
        command: ["/bin/sh", "-c", "sleep 300 & echo $!; sleep 300"],
        onStdout: (chunk) => {
          pid += chunk.toString();
          if (pid.endsWith("\n")) abort.abort();
        },
        signal: abort.signal,
      });
      expect(await run).toMatchObject({ timedOut: false, exitCode: null });
      expect(await processRunsIn(target.runtime, spec, pid.trim())).toBe(false);
    });

    it("stops, and starts again with the home directory kept", async () => {
      await target.runtime.stop(spec);
      await target.runtime.stop(spec); // retried
      expect((await target.runtime.status(spec)).state).toBe("stopped");
      // Left out of the list, or listed while its pod terminates: either way not holding compute.
      expect((await target.runtime.listActive()).get(spec.id)?.state ?? "stopped").toBe("stopped");
      await expect(target.runtime.ideTarget(spec)).rejects.toMatchObject({ code: "not-running" });
      await expect(target.runtime.portTarget(spec, appPort)).rejects.toMatchObject({ code: "not-running" });
      await expect(execCollecting(target.runtime, spec, { command: ["true"] })).rejects.toMatchObject({ code: "not-running" });

      await target.runtime.start(spec);
      await waitForState(target.runtime, spec, "running", 120_000);
      const terminal = await target.runtime.attachTerminal(spec, { cols: 80, rows: 24 });
      try {
        expect(await runInTerminal(terminal, "cat kept.txt", outputLine("kept"))).toBeTruthy();
      } finally {
        terminal.close();
      }
    });

    it("destroys the workspace, leaving nothing behind", async () => {
      await target.runtime.destroy(spec);
      await target.runtime.destroy(spec); // retried
      await waitForState(target.runtime, spec, "absent");
      await target.assertNothingLeft(spec);
    });
  });
}
