// One pod's life on the node, as the kubelet lives it: sandbox (network
// namespace), image pull, volumes and environment, then the first container
// as a local process group, restarted per restartPolicy with back-off, its
// readiness probed and its memory limit enforced; graceful deletion ends in
// the kubelet's final delete. Status and events are reported all along.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { CoreV1Api, KubeConfig, V1Container, V1Pod } from "@kubernetes/client-node";
import { workspaceEnv } from "@/lib/runtime/local/clean-env";
import { startProcessGroup, stopProcessGroup } from "@/lib/runtime/local/process-group";
import { describeError, isApiError, sleep, whenAborted } from "./api";
import type { EventRecorder, EventType } from "./events";
import { pullError } from "./images";
import { parseMemoryQuantity } from "./memory";
import type { OrphanGuard } from "./orphan-guard";
import type { PodNetwork } from "./pod-network";
import { containerEnv } from "./pod-env";
import { resolveHomeDir } from "./pod-home";
import { buildPodStatus, StatusWriter, TransitionClock, type PodView } from "./pod-status";
import { containerMounts, withMounts, type Mount } from "./pod-volumes";
import { watchReadiness } from "./readiness";
import { inSandbox, startSandbox, type Sandbox } from "./sandbox";

export interface PodWorkerDeps {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  events: EventRecorder;
  guard: OrphanGuard;
  /** This pod's directory on the host (logs, scratch home, emptyDirs). */
  podDir: string;
  network: PodNetwork;
  log(line: string): void;
}

/** What exec, port-forward and logs need to reach a pod. */
export interface PodHandle {
  containerName: string;
  /** Set while the pod's network namespace exists. */
  sandboxPid?: number;
  /** Set while the container's process runs. */
  running?: { homeDir: string; env: Record<string, string> };
  logFile: string;
}

// The kubelet backs off from 10 s up to 5 min; scaled down so that tests see
// each stage (ErrImagePull → ImagePullBackOff, CrashLoopBackOff) in seconds.
const PULL_ERROR_MS = 1_000;
const backOffMs = (attempt: number) => Math.min(1_000 * 2 ** attempt, 16_000);
/** The kubelet's minimum grace when a pod vanishes without a graceful deletion. */
const FORCED_GRACE_MS = 2_000;

interface Process {
  pid: number;
  oomKilled: boolean;
  /** Exit code; null when killed by a signal. */
  exited: Promise<number | null>;
}

export class PodWorker {
  private pod: V1Pod;
  private readonly container: V1Container;
  private readonly logFile: string;
  private readonly status: StatusWriter;
  private readonly transitions: TransitionClock;
  private readonly memoryLimit?: number;
  private readonly stopping = new AbortController();
  private stopGraceMs = 0;
  private readonly lifecycle: Promise<void>;
  private terminating?: Promise<void>;
  private sandbox?: Sandbox;
  private homeDir?: string;
  private env?: Record<string, string>;
  private mounts: Mount[] = [];
  /** The container's process while it runs. */
  private current?: Process;
  private readonly view: Omit<PodView, "pod">;

  constructor(
    pod: V1Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
    this.container = pod.spec!.containers[0]!;
    if (pod.spec!.containers.length > 1) {
      deps.log(`${this.describe()}: only the first container, ${this.container.name}, is run`);
    }
    const limit = this.container.resources?.limits?.memory;
    this.memoryLimit = limit === undefined ? undefined : parseMemoryQuantity(limit);
    fs.mkdirSync(deps.podDir, { recursive: true });
    this.logFile = path.join(deps.podDir, `${this.container.name}.log`);
    this.status = new StatusWriter(deps.kubeConfig, pod.metadata!.namespace!, pod.metadata!.name!, deps.log);
    this.transitions = new TransitionClock(pod);
    this.view = {
      phase: "Pending",
      startTime: new Date(),
      imagePulled: false,
      state: { waiting: { reason: "ContainerCreating" } },
      lastState: {},
      restartCount: 0,
      ready: false,
    };
    this.lifecycle = this.run();
    if (pod.metadata?.deletionTimestamp) void this.terminate();
  }

  /** A newer version of the pod from the watch. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) void this.terminate();
  }

  /** The pod object is gone (force-deleted, or after the final delete): stop, reporting nothing more. */
  async remove(): Promise<void> {
    this.status.close();
    await this.shutDown(FORCED_GRACE_MS);
    this.deps.events.forget(this.pod.metadata!.uid!);
  }

  handle(): PodHandle {
    const running = this.current && this.homeDir && this.env ? { homeDir: this.homeDir, env: this.env } : undefined;
    return { containerName: this.container.name, sandboxPid: this.sandbox?.pid, running, logFile: this.logFile };
  }

  /** The container's process group while it runs and has a memory limit to enforce. */
  memoryWatched(): number | undefined {
    return this.memoryLimit === undefined ? undefined : this.current?.pid;
  }

  /** Called with the group's resident memory; over the limit, the group is killed as the OOM killer would. */
  checkMemory(residentBytes: number): void {
    const proc = this.current;
    if (!proc || proc.oomKilled || this.memoryLimit === undefined || residentBytes <= this.memoryLimit) return;
    proc.oomKilled = true;
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }

  /** Graceful deletion: stop within the grace period, then delete the pod object for good. */
  private terminate(): Promise<void> {
    this.terminating ??= (async () => {
      const seconds =
        this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
      await this.shutDown(seconds * 1000);
      await this.publish();
      const { name, namespace, uid } = this.pod.metadata!;
      try {
        // With a body, the apiserver reads DeleteOptions from it alone and
        // ignores the query string: gracePeriodSeconds must go in the body.
        await this.deps.core.deleteNamespacedPod({
          name: name!,
          namespace: namespace!,
          body: { gracePeriodSeconds: 0, preconditions: { uid } },
        });
      } catch (error) {
        // 404: already gone; 409: a new pod of the same name, which isn't ours to delete.
        if (!isApiError(error, 404) && !isApiError(error, 409)) {
          this.deps.log(`final delete of ${this.describe()}: ${describeError(error)}`);
        }
      }
    })();
    return this.terminating;
  }

  private async shutDown(graceMs: number): Promise<void> {
    if (!this.stopping.signal.aborted) {
      this.stopGraceMs = graceMs;
      this.stopping.abort();
    }
    await this.lifecycle;
    await this.stopSandbox();
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    try {
      await this.publish();
      this.sandbox = await startSandbox(path.join(this.deps.podDir, "sandbox.log"), this.deps.guard, this.deps.network);
      this.view.podIP = this.sandbox.ip;
      await this.pullImage(signal);
      await this.prepareContainer(signal);
      await this.runContainer(signal);
    } catch (error) {
      if (signal.aborted) return;
      this.deps.log(`${this.describe()}: ${describeError(error)}`);
      this.view.state = { waiting: { reason: "CreateContainerError", message: describeError(error) } };
      this.event("Warning", "Failed", `Error: ${describeError(error)}`);
      await this.publish();
    }
  }

  private async pullImage(signal: AbortSignal): Promise<void> {
    const image = this.container.image ?? "";
    for (let attempt = 0; ; attempt++) {
      this.event("Normal", "Pulling", `Pulling image "${image}"`);
      const error = pullError(image);
      if (error === undefined) {
        this.event("Normal", "Pulled", `Successfully pulled image "${image}" in 0s`);
        this.view.imagePulled = true;
        return;
      }
      this.event("Warning", "Failed", `Failed to pull image "${image}": ${error}`);
      this.event("Warning", "Failed", "Error: ErrImagePull");
      this.view.state = { waiting: { reason: "ErrImagePull", message: error } };
      await this.publish();
      await sleep(PULL_ERROR_MS, signal);
      const backOff = `Back-off pulling image "${image}"`;
      this.event("Normal", "BackOff", backOff);
      this.event("Warning", "Failed", "Error: ImagePullBackOff");
      this.view.state = { waiting: { reason: "ImagePullBackOff", message: backOff } };
      await this.publish();
      await sleep(backOffMs(attempt), signal);
    }
  }

  /** Waits, as the kubelet waits for a mount or a Secret, until the volumes and the environment resolve. */
  private async prepareContainer(signal: AbortSignal): Promise<void> {
    const { core, podDir } = this.deps;
    for (;;) {
      try {
        this.homeDir = await resolveHomeDir(core, this.pod, this.container, podDir);
        this.mounts = await containerMounts(core, this.pod, this.container, podDir);
        const env = await containerEnv(core, this.pod.metadata!.namespace!, this.container);
        this.env = { ...workspaceEnv({ home: this.homeDir }), ...env, HOME: this.homeDir };
        return;
      } catch (error) {
        this.event("Warning", "FailedMount", `Unable to attach or mount volumes: ${describeError(error)}`);
        await sleep(1_000, signal);
      }
    }
  }

  private async runContainer(signal: AbortSignal): Promise<void> {
    const command = [...(this.container.command ?? []), ...(this.container.args ?? [])];
    if (command.length === 0) throw new Error("the node agent runs a container's command and this one has none");
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    for (let restarts = 0; ; restarts++) {
      const exitCode = await this.runOnce(command, restarts, signal);
      if (signal.aborted) return;
      if (!(policy === "Always" || (policy === "OnFailure" && exitCode !== 0))) {
        this.view.phase = exitCode === 0 ? "Succeeded" : "Failed";
        await this.publish();
        await this.stopSandbox();
        return;
      }
      this.view.lastState = this.view.state;
      // Like the kubelet, the first restart is immediate and later ones back off.
      if (restarts > 0) {
        const delayMs = backOffMs(restarts - 1);
        const message = `back-off ${delayMs / 1000}s restarting failed container=${this.container.name} pod=${this.pod.metadata?.name}_${this.pod.metadata?.namespace}(${this.pod.metadata?.uid})`;
        this.view.state = { waiting: { reason: "CrashLoopBackOff", message } };
        this.event("Warning", "BackOff", "Back-off restarting failed container");
        await this.publish();
        await sleep(delayMs, signal);
      }
    }
  }

  /** Runs the container's process once; resolves with its exit code once it ends (or was stopped). */
  private async runOnce(command: string[], restarts: number, signal: AbortSignal): Promise<number> {
    const name = this.container.name;
    const group = startProcessGroup({
      command: inSandbox(this.sandbox!.pid, withMounts(this.mounts, command)),
      cwd: this.homeDir!,
      env: this.env!,
      logFile: this.logFile,
    });
    this.deps.guard.track(group.pid);
    const proc: Process = { pid: group.pid, oomKilled: false, exited: group.exited.catch(() => null) };
    this.current = proc;
    const startedAt = new Date();
    this.view.containerID = `podspace://${crypto.randomBytes(16).toString("hex")}`;
    this.view.restartCount = restarts;
    this.view.state = { running: { startedAt } };
    this.view.phase = "Running";
    this.event("Normal", "Created", `Created container ${name}`);
    this.event("Normal", "Started", `Started container ${name}`);
    await this.publish();

    const probing = new AbortController();
    void watchReadiness(
      {
        container: this.container,
        sandboxPid: this.sandbox!.pid,
        podIP: this.sandbox!.ip,
        setReady: (ready) => {
          this.view.ready = ready;
          void this.publish();
        },
        unhealthy: (message) => this.event("Warning", "Unhealthy", message),
      },
      probing.signal,
    );

    let code = await Promise.race([proc.exited, whenAborted(signal).then(() => undefined)]);
    if (code === undefined) {
      this.event("Normal", "Killing", `Stopping container ${name}`);
      await stopProcessGroup(proc.pid, this.stopGraceMs);
      code = await proc.exited;
    }
    probing.abort();
    this.deps.guard.untrack(proc.pid);
    this.current = undefined;
    // A signal death has no exit code; the runtime would report 128+signal, and
    // SIGKILL (the OOM killer's, or the end of a grace period) is the usual one.
    const exitCode = proc.oomKilled ? 137 : (code ?? 137);
    const reason = proc.oomKilled ? "OOMKilled" : exitCode === 0 ? "Completed" : "Error";
    this.view.ready = false;
    this.view.state = {
      terminated: { exitCode, reason, startedAt, finishedAt: new Date(), containerID: this.view.containerID },
    };
    await this.publish();
    return exitCode;
  }

  private async stopSandbox(): Promise<void> {
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    await sandbox?.stop();
  }

  private publish(): Promise<void> {
    return this.status.publish(buildPodStatus({ pod: this.pod, ...this.view }, this.transitions));
  }

  private event(type: EventType, reason: string, message: string): void {
    this.deps.events.record(this.pod, type, reason, message, this.container.name);
  }

  private describe(): string {
    return `pod ${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }
}
