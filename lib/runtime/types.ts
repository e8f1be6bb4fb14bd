import type { Duplex, Readable } from "node:stream";

// The one interface between Podspace and the compute its workspaces run on.
// The lifecycle code (reconcile, quotas, pages) talks only to this; the
// drivers (local processes, Kubernetes) turn it into their own objects.

export type RuntimeKind = "local" | "kubernetes";

/** What a workspace asks for. CPU and memory are requests and limits alike. */
export interface WorkspaceResources {
  cpuMillicores: number;
  memoryMiB: number;
  diskGiB: number;
}

/** The IDE process a template starts inside the workspace. */
export interface IdeApp {
  /** argv of the IDE; `{port}` is replaced by the port it must listen on. */
  command: string[];
  port: number;
  /** Answers 200 once the IDE serves; used as the readiness probe. */
  healthPath: string;
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** Everything a driver needs to run one workspace, built from its template version and parameters. */
export interface WorkspaceSpec {
  /** The workspace id: lowercase letters and digits, safe in DNS names. */
  id: string;
  name: string;
  teamSlug: string;
  ownerId: string;
  templateSlug: string;
  templateVersion: number;
  image: string;
  resources: WorkspaceResources;
  /** Non-secret environment for the workspace's processes. */
  env: Record<string, string>;
  /**
   * Environment that is a credential (the workspace's AI key), which a
   * runtime keeps out of what others may read: on Kubernetes, the pod's spec
   * and exec requests, which cluster viewers and the apiserver's audit log see.
   */
  secretEnv?: Record<string, string>;
  /** Shell script run in the home directory before the IDE starts. */
  startupScript: string;
  ide: IdeApp;
  scheduling?: {
    imagePullSecrets?: string[];
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
  };
}

/** A team's share of the runtime. Null means no limit. */
export interface TeamSpaceSpec {
  slug: string;
  limits: {
    cpuMillicores: number | null;
    memoryMiB: number | null;
    storageGiB: number | null;
    workspaces: number | null;
    runningWorkspaces: number | null;
  };
}

/** Where a workspace is, as the runtime sees it. */
export type ObservedState = "absent" | "stopped" | "starting" | "running" | "failed";

/** Why a workspace failed, so the UI can say what to do about it. */
export type FailureReason = "quota" | "scheduling" | "image" | "oom" | "crashed" | "deleted" | "invalid";

/**
 * Failures of a start that the cluster may get past by itself, the pod kept
 * and retried: a node with room appears (one an autoscaler adds), an image
 * pull succeeds on a later try. A workspace failed so is running again once
 * its pod runs, without waiting for its user's retry.
 */
export const SELF_HEALING_FAILURES: readonly FailureReason[] = ["scheduling", "image"];

/**
 * Whether the runtime still holds compute for a workspace in this state: a
 * failed one keeps its crashed pod or process record until it is stopped.
 * A stopped one may still be on its way out (a pod terminating), not held.
 */
export const holdsCompute = (state: ObservedState): boolean => state === "starting" || state === "running" || state === "failed";

export interface ObservedStatus {
  state: ObservedState;
  /** A sentence for people, e.g. "Pulling image ubuntu:24.04". */
  message: string;
  reason?: FailureReason;
}

/**
 * The steps a start goes through, in order; the workspace page shows each with
 * its timing. The first, `submitted`, is the reconciler's: the runtime
 * accepted the start (every object applied). The runtime reports the rest
 * (RUNTIME_STEPS). The workspace is running (its terminal works) once `shell`
 * is done; `ide` and `ready` follow while it runs, so nobody waits on the IDE
 * to type a command.
 */
export const RUNTIME_STEPS = ["volume", "scheduling", "image", "shell", "ide", "ready"] as const;
export const PROGRESS_STEPS = ["submitted", ...RUNTIME_STEPS] as const;
export type RuntimeStep = (typeof RUNTIME_STEPS)[number];
export type ProgressStep = (typeof PROGRESS_STEPS)[number];

export type RuntimeEvent =
  /** A step of the start; with `warning`, something about the step that went wrong without stopping the start (a failed startup script). */
  | { type: "progress"; workspaceId: string; step: RuntimeStep; message: string; warning?: true }
  | { type: "status"; workspaceId: string; status: ObservedStatus };

/** A shell inside a workspace: bytes both ways, plus the window size. */
export interface TerminalSession {
  write(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  onData(listener: (data: Uint8Array) => void): void;
  /** Called once, when the shell exits or the connection to it is lost. */
  onExit(listener: (exit: { code: number | null; reason?: string }) => void): void;
  /** Pauses reading from the shell; the kernel's PTY buffer then holds the program back. */
  pause(): void;
  resume(): void;
  close(): void;
}

export interface TerminalOptions {
  cols: number;
  rows: number;
}

/** A command run in a workspace without a terminal (the API's exec): as its user, in its home unless `cwd` says otherwise. */
export interface ExecOptions {
  /** argv, run as is (no shell unless it names one). */
  command: string[];
  /** Where it runs; relative paths are from the home directory. Default: the home directory. */
  cwd?: string;
  /** Added to the workspace's environment. */
  env?: Record<string, string>;
  /** Its standard input, ended when the stream ends; none (end of input at once) when absent. */
  stdin?: Readable;
  /**
   * Each chunk of its output. A promise holds the rest back until it
   * settles: the command's writes then block once the pipe between is full,
   * so a reader slower than the command (a download) doesn't pile its output
   * up in Podspace.
   */
  onStdout(chunk: Buffer): void | Promise<void>;
  onStderr(chunk: Buffer): void;
  /** After this long the command's whole process group is killed. */
  timeoutMs: number;
  /** Aborting (the client went away) kills the command's whole process group too. */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Null when it was killed by a signal (a timeout, an abort) or the connection to it was lost. */
  exitCode: number | null;
  timedOut: boolean;
}

/** How a reverse proxy reaches a port in a workspace (its IDE's, an app's): a fresh byte stream to it per connection. */
export interface PortTarget {
  /** Rejects with RuntimeError "not-listening" when nothing listens on the port. */
  connect(): Promise<Duplex>;
  /** For logs and errors, e.g. "127.0.0.1:41234" or "pod podspace-ml/ws-abc port 13337". */
  describe: string;
}

/** Where a workspace's home is, in every runtime: the path its processes, and a tool run on it (runOnHome), see. */
export const WORKSPACE_HOME = "/home/coder";

/**
 * A trusted tool (a backup's restic) run on a workspace's home from outside
 * the workspace: beside it, never in it, so nothing in the workspace can
 * see the tool's environment (the team's backup key) or touch its process,
 * and the tool sees no other workspace's files. The home is at WORKSPACE_HOME.
 */
export interface HomeToolRun {
  command: string[];
  env: Record<string, string>;
  /** read: the home read-only (a backup); write: writable, then handed to the workspace's user (a restore). */
  access: "read" | "write";
  /** Host paths the tool needs, seen at the same path (a folder repository, a CA file); writable ones are made when missing. */
  hostPaths: { path: string; writable: boolean }[];
  /** Each line of its standard output, as it comes. */
  onStdoutLine(line: string): void;
  /** Aborting kills it. */
  signal?: AbortSignal;
}

export interface HomeToolResult {
  /** Null when it was killed. */
  exitCode: number | null;
  /** The end of what it wrote to stderr, to say why it failed. */
  stderr: string;
}

/** A TCP port a process in a workspace listens on. */
export interface ListeningPort {
  port: number;
  /** The name of the process that holds it, where the runtime can tell. */
  process: string | null;
}

export interface WorkspaceRuntime {
  readonly kind: RuntimeKind;
  /** Creates or updates the team's space and its limits. */
  prepareTeam(team: TeamSpaceSpec): Promise<void>;
  /** Creates the workspace's home volume. Safe to call again. */
  provision(spec: WorkspaceSpec): Promise<void>;
  /** Starts the workspace (its home must be provisioned). Returns once the start is submitted; progress follows as events. */
  start(spec: WorkspaceSpec): Promise<void>;
  /** Stops the workspace, keeping its home. */
  stop(spec: WorkspaceSpec): Promise<void>;
  /** Removes the workspace and its home. */
  destroy(spec: WorkspaceSpec): Promise<void>;
  /** The runtime's truth about one workspace, for reconciling. */
  status(spec: WorkspaceSpec): Promise<ObservedStatus>;
  /**
   * In one call, the status of every workspace the runtime holds compute for
   * (starting, running, stopping, or failed and not stopped since), by
   * workspace id: what a reconcile pass compares with the database. A
   * workspace left out is stopped or absent.
   */
  listActive(): Promise<Map<string, ObservedStatus>>;
  /** Every status change and progress step, for every workspace. Returns the unsubscribe function. */
  watch(listener: (event: RuntimeEvent) => void): () => void;
  attachTerminal(spec: WorkspaceSpec, options: TerminalOptions): Promise<TerminalSession>;
  ideTarget(spec: WorkspaceSpec): Promise<PortTarget>;
  /** Any TCP port inside the running workspace (preview URLs); rejects with "not-running" when it isn't. */
  portTarget(spec: WorkspaceSpec, port: number): Promise<PortTarget>;
  /** The TCP ports processes in the running workspace listen on, the IDE's left out; rejects with "not-running" when it isn't. */
  listeningPorts(spec: WorkspaceSpec): Promise<ListeningPort[]>;
  /**
   * Runs a command in the running workspace and resolves once it has ended
   * and its output was delivered; rejects with "not-running" when the
   * workspace isn't running. On timeout or abort, everything the command
   * started in its process group is killed, not only the command.
   */
  exec(spec: WorkspaceSpec, options: ExecOptions): Promise<ExecResult>;
  /**
   * The running workspace changed hands (a warm pool member claimed): brings
   * what names its owner in the runtime's objects (labels) up to `spec`
   * without restarting it. Safe to call again.
   */
  handOver(spec: WorkspaceSpec): Promise<void>;
  /** Runs a trusted tool on the workspace's home, which must be provisioned; the workspace may be running or stopped. */
  runOnHome(spec: WorkspaceSpec, run: HomeToolRun): Promise<HomeToolResult>;
  /** Checks that the runtime can be reached (for /admin/health): resolves with what it reached, or throws why not. */
  probe(): Promise<string>;
  /** Releases watches and processes held by this instance (not the workspaces). */
  close(): Promise<void>;
}

export type RuntimeErrorCode = "quota" | "invalid" | "not-found" | "not-running" | "not-listening" | "unavailable";

/** A failure the user can act on; the message names what went wrong in their terms. */
export class RuntimeError extends Error {
  override name = "RuntimeError";
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
