import { execFile } from "node:child_process";
import { EventEmitter } from "node:events";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { ideArgv, startupCommand, startupScriptWarning } from "../startup-command";
import {
  RuntimeError,
  type ObservedStatus,
  type RuntimeStep,
  type RuntimeEvent,
  type WorkspaceRuntime,
  type WorkspaceSpec,
} from "../types";
import { workspaceEnv } from "./clean-env";
import { EGRESS_NEEDS_ROOT } from "./egress";
import { codeServerLauncher, ensureCodeServer, installedCodeServerBin } from "./code-server";
import { logger } from "@/lib/observability/logger";
import { waitForHealthy } from "./health";
import { buildToolsHint, egressToolsHint, missingBuildTools, missingEgressTools } from "./prerequisites";
import { launchSandbox } from "./launch-sandbox";
import { isAlive, logTail, stopProcessGroup } from "./process-group";
import {
  clearSpawning,
  hasProcessRecord,
  interruptedSpawnProcesses,
  markSpawning,
  readLiveProcessRecord,
  recordedWorkspaceIds,
  removeProcessRecord,
  unsandboxedProcessRecords,
  WORKSPACE_PROCESS_VARIABLE,
  writeProcessRecord,
} from "./process-record";
import { ETC_FILES, etcFiles, homeToolArgs, IDE_SOCKET, PORTS_SOCKET, SANDBOX, SANDBOX_AI_PORT, sandboxUnavailable, shellCommand, type EtcFiles, type SandboxLayout } from "./sandbox";
import { runHomeTool } from "./home-tool";
import { listeningPorts } from "./listening-ports";
import { connectToPort } from "./port-connection";
import { spawnShell } from "./terminal";
import { runInSandbox } from "./exec";
import { homesDirOf, recordsDirOf, releaseWorkspaceUid, workspaceUid } from "./workspace-uids";
import { commandWithin } from "../exec-command";

// The embedded default: a workspace is a sandbox on this host (sandbox.ts)
// around a home directory, with an IDE process serving it. Resource
// parameters are recorded but not enforced.

export interface LocalRuntimeOptions {
  /** Podspace's data dir: homes go to workspaces/<id>, process records to runtime/local/. */
  dataDir: string;
  /** Where code-server is installed on first use. */
  cacheDir: string;
  /** Host paths every workspace sees read-only at the same path. */
  sharedPaths?: readonly string[];
  /**
   * The AI gateway's socket folder, mounted into every sandbox
   * (sandbox-relay.mjs serves it on the sandbox's loopback) whether or not
   * the gateway listens there yet; unset: sandboxes get no way to it.
   */
  aiSocketDir?: string;
}

const IDE_READY_TIMEOUT_MS = 120_000;

export function createLocalRuntime(options: LocalRuntimeOptions): WorkspaceRuntime {
  /** Why no workspace can start here, in one line with what to do; null when they can. Tried once. */
  const noSandbox = sandboxUnavailable();
  /** What this machine lacks for workspaces and their IDE, in one line; null when nothing. */
  const missingPrerequisites = () => {
    const missing = installedCodeServerBin(options.cacheDir) ? [] : missingBuildTools();
    return noSandbox ?? (missing.length > 0 ? buildToolsHint(missing) : null);
  };
  const missing = missingPrerequisites();
  if (missing) logger.warn(`local runtime: ${missing}`);
  /** Why workspaces here start without outbound network, in one line with what to do; null when they have it. */
  const noEgress = () => {
    if (process.getuid?.() !== 0) return EGRESS_NEEDS_ROOT;
    const missing = missingEgressTools();
    return missing.length > 0 ? egressToolsHint(missing) : null;
  };
  const offline = noEgress();
  if (offline) logger.warn(`local runtime: ${offline}`);

  const events = new EventEmitter<{ event: [RuntimeEvent] }>();
  const recordsDir = recordsDirOf(options.dataDir);
  const homeOf = (spec: WorkspaceSpec) => path.join(homesDirOf(options.dataDir), spec.id);
  /** The workspace's runtime dir, its /run/podspace, where the relay binds its sockets. */
  const runDirOf = (spec: WorkspaceSpec) => path.join(recordsDir, `${spec.id}.run`);
  /** Where Podspace keeps the relay's sockets once it has taken them, out of the workspace's reach (takeRelaySockets). */
  const socketDirOf = (spec: WorkspaceSpec) => path.join(recordsDir, `${spec.id}.sockets`);
  const ideSocketOf = (spec: WorkspaceSpec) => path.join(socketDirOf(spec), IDE_SOCKET);
  /** What the workspace's processes write: the sandbox, the IDE, the startup script. */
  const logFileOf = (spec: Pick<WorkspaceSpec, "id">) => path.join(recordsDir, `${spec.id}.log`);
  /** The code-server launcher as the sandbox sees it. */
  const sandboxedLauncher = path.join(SANDBOX.cache, path.relative(options.cacheDir, codeServerLauncher(options.cacheDir)));
  /** Starts in flight (until the workspace's process runs), so a second start of the same workspace joins the first. */
  const starting = new Map<string, Promise<void>>();
  /** IDEs being installed or waited for after their workspace started, so close() can let them finish. */
  const idesStarting = new Set<Promise<void>>();
  /** Workspaces this process is stopping: their IDE exiting is expected, not a crash. */
  const stopping = new Set<string>();
  /**
   * Why a workspace's last start failed, until it is started or stopped again:
   * without it, a start that failed before spawning anything would look
   * merely stopped, and be started again and again without anyone seeing why.
   */
  const failures = new Map<string, ObservedStatus>();
  /** The shells this process opened in each workspace, so a stop can tell their end from an exit. */
  const shells = new Map<string, Set<{ endedByStop: boolean }>>();
  const shellsOf = (workspaceId: string) => shells.get(workspaceId) ?? shells.set(workspaceId, new Set()).get(workspaceId)!;

  /** Start and stop of one workspace run one at a time, so two clicks on Start start it once. */
  const locks = new Map<string, Promise<unknown>>();
  function serialized<T>(workspaceId: string, operation: () => Promise<T>): Promise<T> {
    const next = (locks.get(workspaceId) ?? Promise.resolve()).catch(() => {}).then(operation);
    locks.set(workspaceId, next);
    void next.catch(() => {}).finally(() => locks.get(workspaceId) === next && locks.delete(workspaceId));
    return next;
  }

  /** The workspace's environment, with the cached code-server on PATH (once it is installed, it is found there). */
  function environmentOf(spec: WorkspaceSpec): Record<string, string> {
    // A sandbox's environment is its processes' alone: secret or not, it is set the same way.
    const env = workspaceEnv({ home: SANDBOX.home, extra: { ...spec.env, ...spec.secretEnv } });
    return { ...env, PATH: `${path.dirname(sandboxedLauncher)}:${env.PATH}` };
  }

  /** Where the sandbox's own /etc files (passwd, group, resolv.conf) come from: Podspace's, outside what the workspace can write. */
  const etcOf = (spec: WorkspaceSpec) =>
    Object.fromEntries(ETC_FILES.map((name) => [name, path.join(recordsDir, `${spec.id}.${name}`)])) as EtcFiles;

  /** The home and runtime dir, owned by the workspace's own uid when Podspace is root; nobody else may enter them. */
  async function prepareDirs(spec: WorkspaceSpec) {
    const uid = await workspaceUid(options.dataDir, spec.id);
    await fs.mkdir(runDirOf(spec), { recursive: true, mode: 0o700 });
    // Podspace's alone, and empty until this start's relay has bound its sockets.
    await fs.rm(socketDirOf(spec), { recursive: true, force: true });
    await fs.mkdir(socketDirOf(spec), { mode: 0o700 });
    await fs.mkdir(options.cacheDir, { recursive: true });
    // Made here if Podspace has not served the gateway yet: bwrap can't mount a folder that doesn't exist.
    if (options.aiSocketDir) await fs.mkdir(options.aiSocketDir, { recursive: true, mode: 0o755 });
    const contents = etcFiles(uid);
    for (const name of ETC_FILES) await fs.writeFile(etcOf(spec)[name], contents[name]);
    for (const dir of [homeOf(spec), runDirOf(spec)]) {
      await fs.chmod(dir, 0o700);
      if (uid !== null && (await fs.stat(dir)).uid !== uid) await execFileAsync("chown", ["-R", `${uid}:${uid}`, dir]);
    }
  }

  const emit = (event: RuntimeEvent) => events.emit("event", event);
  const progress = (spec: WorkspaceSpec, step: RuntimeStep, message: string) =>
    emit({ type: "progress", workspaceId: spec.id, step, message });
  const report = (spec: WorkspaceSpec, status: ObservedStatus) => emit({ type: "status", workspaceId: spec.id, status });

  async function homeExists(spec: WorkspaceSpec): Promise<boolean> {
    return fs.stat(homeOf(spec)).then((stat) => stat.isDirectory(), () => false);
  }

  /**
   * Ends the unsandboxed workspaces an earlier Podspace left running and
   * forgets them, so each reads as stopped and its next start (the
   * reconciler's, for one that should run) is sandboxed.
   */
  const legacyEnded = (async () => {
    for (const { workspaceId, livePid } of await unsandboxedProcessRecords(recordsDir)) {
      if (livePid !== null) await stopProcessGroup(livePid);
      await removeProcessRecord(recordsDir, workspaceId);
      logger.warn({ workspaceId }, "ended a workspace started without a sandbox; its next start is sandboxed");
    }
  })();
  const liveProcess = async (spec: Pick<WorkspaceSpec, "id">) => {
    await legacyEnded;
    return readLiveProcessRecord(recordsDir, spec.id);
  };

  /** Ends what a Podspace that died between spawning a workspace's process and recording it left running. */
  async function endInterruptedSpawn(spec: WorkspaceSpec) {
    for (const pid of await interruptedSpawnProcesses(recordsDir, spec.id)) await stopProcessGroup(pid, 1_000);
    await clearSpawning(recordsDir, spec.id);
  }

  /**
   * Starts the workspace's process at once, so its terminal works within a
   * second, and brings the IDE up while it runs: installing code-server on
   * first use (the process waits for its launcher), then waiting until the IDE
   * answers. A failed install or an IDE that never answers fails the start.
   */
  async function runStart(spec: WorkspaceSpec): Promise<void> {
    const home = homeOf(spec);
    report(spec, { state: "starting", message: "Starting" });
    progress(spec, "volume", `Home directory ${home}`);
    progress(spec, "scheduling", "Runs on this host (the local runtime records CPU and memory but does not enforce them)");
    progress(spec, "image", `The local runtime does not pull ${spec.image}; the workspace runs on this host`);

    if (noSandbox) throw new RuntimeError("unavailable", noSandbox);
    await prepareDirs(spec);
    // The IDE listens on the sandbox's own loopback, at the template's port.
    let ide = ideArgv(spec, { host: "127.0.0.1", port: spec.ide.port });
    const usesCodeServer = ide[0] === "code-server";
    if (usesCodeServer) ide = [sandboxedLauncher, ...ide.slice(1)];
    const installed = !usesCodeServer || installedCodeServerBin(options.cacheDir) !== null;
    // Installed: resolves at once, having (re)written its launcher for this version of Podspace.
    if (usesCodeServer && installed) await ensureCodeServer(options.cacheDir, () => {});

    const logFile = logFileOf(spec);
    // The log is appended to across starts: this start's part begins here.
    const logStart = await fs.stat(logFile).then((stat) => stat.size, () => 0);
    const withoutEgress = noEgress();
    await markSpawning(recordsDir, spec.id);
    const { group, sandboxPid, egress } = await launchSandbox({
      layout: await layoutOf(spec),
      command: startupCommand(spec, ide, { waitFor: installed ? undefined : ide[0] }),
      idePort: spec.ide.port,
      env: { ...environmentOf(spec), [WORKSPACE_PROCESS_VARIABLE]: spec.id },
      logFile,
      egress: withoutEgress === null,
    });
    await writeProcessRecord(recordsDir, spec.id, { pid: group.pid, sandboxPid });
    await clearSpawning(recordsDir, spec.id);
    void group.exited.then(async (code) => {
      if (stopping.has(spec.id)) return;
      fail(spec, `The workspace's IDE exited with code ${code}.\n${await logTail(logFile)}`);
    });
    const offline = egress ? null : (withoutEgress ?? `slirp4netns did not bring it up.\n${await logTail(logFile)}`);
    if (offline) logger.warn({ workspaceId: spec.id }, `workspace without outbound network: ${offline}`);
    const shellReady = "Shell ready: the terminal works while the IDE starts";
    progress(spec, "shell", offline ? `${shellReady}. No outbound network: ${offline}` : shellReady);
    report(spec, { state: "running", message: "Running" });

    const ideUp = bringUpIde(spec, { pid: group.pid, installed, logFile, logStart }).finally(() => idesStarting.delete(ideUp));
    idesStarting.add(ideUp);
  }

  /**
   * Installs code-server if the workspace waits for it, then waits until the
   * IDE answers. Failing fails the workspace (stopping its process), unless it
   * was stopped meanwhile or its IDE exited, which the exit handler reported.
   */
  async function bringUpIde(spec: WorkspaceSpec, ide: { pid: number; installed: boolean; logFile: string; logStart: number }) {
    try {
      if (!ide.installed) await ensureCodeServer(options.cacheDir, (message) => progress(spec, "ide", message));
      progress(spec, "ide", `Waiting for the IDE to answer ${spec.ide.healthPath}`);
      const healthy = await waitForHealthy(ideSocketOf(spec), spec.ide.healthPath, {
        timeoutMs: IDE_READY_TIMEOUT_MS,
        givingUp: () => !isAlive(ide.pid),
      });
      if (healthy) {
        // The IDE runs once the startup script has ended: whether it failed is in the log by now.
        const warning = startupScriptWarning(await logTail(ide.logFile, 200, ide.logStart));
        if (warning) emit({ type: "progress", workspaceId: spec.id, step: "ide", message: warning, warning: true });
        progress(spec, "ready", "IDE ready");
      } else if (isAlive(ide.pid)) {
        throw new RuntimeError("unavailable", `The IDE did not answer within ${IDE_READY_TIMEOUT_MS / 1000} s.\n${await logTail(ide.logFile)}`);
      }
    } catch (error) {
      if (!isAlive(ide.pid)) return;
      // Failed first, so that no status() in between sees just a dead process.
      stopping.add(spec.id);
      fail(spec, error instanceof Error ? error.message : String(error));
      await stopProcessGroup(ide.pid).finally(() => stopping.delete(spec.id));
    }
  }

  async function layoutOf(spec: WorkspaceSpec): Promise<SandboxLayout> {
    return {
      home: homeOf(spec),
      runDir: runDirOf(spec),
      socketDir: socketDirOf(spec),
      cacheDir: options.cacheDir,
      sharedPaths: options.sharedPaths ?? [],
      aiSocketDir: options.aiSocketDir ?? null,
      hostname: spec.name,
      hostUid: await workspaceUid(options.dataDir, spec.id),
      etc: etcOf(spec),
    };
  }

  /** What the workspace's process is doing; null when it has none (stopped, or never started). */
  async function processStatus(spec: Pick<WorkspaceSpec, "id">): Promise<ObservedStatus | null> {
    const failure = failures.get(spec.id);
    if (failure) return failure;
    if (await liveProcess(spec)) return { state: "running", message: "Running" };
    if (starting.has(spec.id)) return { state: "starting", message: "Starting" };
    if (!(await hasProcessRecord(recordsDir, spec.id))) return null;
    // What it wrote last says why, as the exit handler will (for the process that started it) once it has read it.
    const tail = await logTail(logFileOf(spec));
    return { state: "failed", reason: "crashed", message: `The workspace's process is no longer running.${tail ? `\n${tail}` : ""}` };
  }

  /** Records why the workspace failed, so status() keeps saying so until the next start or stop, and reports it. */
  function fail(spec: WorkspaceSpec, message: string) {
    const status: ObservedStatus = { state: "failed", reason: "crashed", message };
    failures.set(spec.id, status);
    report(spec, status);
  }

  return {
    kind: "local",

    // A team's space on this host is just the directories its workspaces get.
    async prepareTeam() {},

    async provision(spec) {
      await fs.mkdir(homeOf(spec), { recursive: true });
    },

    start(spec) {
      return serialized(spec.id, async () => {
        if (!(await homeExists(spec))) throw new RuntimeError("not-found", `Workspace ${spec.name} has no home directory; provision it first`);
        if (starting.has(spec.id) || (await liveProcess(spec))) return;
        failures.delete(spec.id);
        await fs.mkdir(recordsDir, { recursive: true });
        await endInterruptedSpawn(spec);
        const run = runStart(spec)
          .catch((error: unknown) => fail(spec, error instanceof Error ? error.message : String(error)))
          .finally(() => starting.delete(spec.id));
        starting.set(spec.id, run);
      });
    },

    stop(spec) {
      return serialized(spec.id, async () => {
        await starting.get(spec.id);
        failures.delete(spec.id);
        const record = await liveProcess(spec);
        stopping.add(spec.id);
        for (const shell of shellsOf(spec.id)) shell.endedByStop = true;
        try {
          if (record) await stopProcessGroup(record.pid);
          await endInterruptedSpawn(spec);
          await removeProcessRecord(recordsDir, spec.id);
        } finally {
          stopping.delete(spec.id);
        }
        report(spec, { state: "stopped", message: "Stopped" });
      });
    },

    async destroy(spec) {
      await this.stop(spec);
      await fs.rm(homeOf(spec), { recursive: true, force: true });
      await releaseWorkspaceUid(options.dataDir, spec.id);
      await fs.rm(runDirOf(spec), { recursive: true, force: true });
      await fs.rm(socketDirOf(spec), { recursive: true, force: true });
      await Promise.all(Object.values(etcOf(spec)).map((file) => fs.rm(file, { force: true })));
      await fs.rm(logFileOf(spec), { force: true });
      report(spec, { state: "absent", message: "Deleted" });
    },

    async status(spec) {
      if (!(await homeExists(spec))) return { state: "absent", message: "No home directory" };
      return (await processStatus(spec)) ?? { state: "stopped", message: "Stopped" };
    },

    async listActive() {
      // A workspace holds compute here only while it has a process record, a start in flight or a failure to report.
      const ids = new Set([...(await recordedWorkspaceIds(recordsDir)), ...starting.keys(), ...failures.keys()]);
      const statuses = await Promise.all([...ids].map(async (id) => [id, await processStatus({ id })] as const));
      return new Map(statuses.filter((entry): entry is readonly [string, ObservedStatus] => entry[1] !== null));
    },

    watch(listener) {
      events.on("event", listener);
      return () => events.off("event", listener);
    },

    async attachTerminal(spec, terminal) {
      const record = await liveProcess(spec);
      if (!record) throw new RuntimeError("not-running", `Workspace ${spec.name} is not running`);
      const command = shellCommand(await layoutOf(spec), record.sandboxPid, ["/bin/bash", "-l"]);
      const shell = spawnShell({ ...terminal, command, env: environmentOf(spec) });
      // A shell ended by stopping its workspace ends with the stop (the
      // "stopped" status), not as a shell that exited on its own.
      const entry = { endedByStop: false };
      const shells = shellsOf(spec.id);
      shells.add(entry);
      return {
        ...shell,
        onExit: (listener) =>
          shell.onExit((exit) => {
            shells.delete(entry);
            if (!entry.endedByStop) listener(exit);
          }),
      };
    },

    async exec(spec, options) {
      const record = await liveProcess(spec);
      if (!record) throw new RuntimeError("not-running", `Workspace ${spec.name} is not running`);
      const argv = shellCommand(await layoutOf(spec), record.sandboxPid, commandWithin(options, options.command));
      return runInSandbox(argv, environmentOf(spec), options);
    },

    async handOver() {
      // Nothing of a local workspace names its owner: its environment is read from the spec at every terminal and exec.
    },

    async runOnHome(spec, run) {
      if (!(await homeExists(spec))) throw new RuntimeError("not-found", `Workspace ${spec.name} has no home directory`);
      const layout = await layoutOf(spec);
      for (const host of run.hostPaths) if (host.writable) await fs.mkdir(host.path, { recursive: true, mode: 0o700 });
      const result = await runHomeTool(["bwrap", ...homeToolArgs(layout, run, run.command)], run);
      // A restore writes the snapshot's owners (another workspace's uid, for a restore into a new one).
      if (run.access === "write" && layout.hostUid !== null) await execFileAsync("chown", ["-R", "-h", `${layout.hostUid}:${layout.hostUid}`, layout.home]);
      return result;
    },

    async ideTarget(spec) {
      if (!(await liveProcess(spec))) throw new RuntimeError("not-running", `Workspace ${spec.name} is not running`);
      const socketPath = ideSocketOf(spec);
      return {
        describe: `the IDE socket of workspace ${spec.name}`,
        connect: () =>
          new Promise((resolve, reject) => {
            const socket = net.connect(socketPath);
            socket.once("connect", () => resolve(socket));
            socket.once("error", reject);
          }),
      };
    },

    async portTarget(spec, port) {
      if (!(await liveProcess(spec))) throw new RuntimeError("not-running", `Workspace ${spec.name} is not running`);
      const socketPath = path.join(socketDirOf(spec), PORTS_SOCKET);
      return { describe: `port ${port} of workspace ${spec.name}`, connect: () => connectToPort(socketPath, port, spec.name) };
    },

    async listeningPorts(spec) {
      const record = await liveProcess(spec);
      if (!record) throw new RuntimeError("not-running", `Workspace ${spec.name} is not running`);
      // The IDE's and the relay's own (the AI gateway's way in) aren't the workspace's servers.
      return (await listeningPorts(record.sandboxPid)).filter(({ port }) => port !== spec.ide.port && port !== SANDBOX_AI_PORT);
    },

    async probe() {
      // Homes and process records are written under the data dir.
      await fs.mkdir(recordsDir, { recursive: true });
      await fs.access(recordsDir, fs.constants.W_OK);
      const missing = missingPrerequisites();
      if (missing) throw new Error(missing);
      return `sandboxed processes on this host, homes in ${path.join(options.dataDir, "workspaces")}`;
    },

    async close() {
      events.removeAllListeners();
      await Promise.allSettled([...starting.values(), ...idesStarting]);
    },
  };
}

const execFileAsync = promisify(execFile);
