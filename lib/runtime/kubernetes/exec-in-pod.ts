import { PassThrough, Writable, type Readable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import type WebSocket from "ws";
import { commandWithin } from "../exec-command";
import { RuntimeError, type ExecOptions, type ExecResult } from "../types";
import { logger } from "@/lib/observability/logger";
import { socketErrorMessage } from "./errors";
import { CONTAINER_NAME, type WorkspaceRef } from "./names";
import { execClient, exitOf, runInPod, type Exit } from "./pod-exec";

// An exec (types.ts ExecOptions) in the workspace pod, through the
// apiserver's exec endpoint. Two things that endpoint doesn't do are done by
// a wrapper script in the container:
//
// - Killing. Closing an exec's connection does not end its command (the
//   kubelet leaves it running), and nothing else names its processes. So
//   the command runs under `setsid` (util-linux, busybox), as the leader of
//   a session and process group of its own, and first prints that group's
//   id on stdout (taken off before the caller sees any output); a timeout or
//   an abort then kills the group over a second exec.
// - End of input. Before the v5 protocol (Kubernetes 1.30) an exec can't
//   close its stdin but by closing the connection, output and all. So stdin
//   goes over base64 lines ending with a line ".", which the shell reads
//   (`read` takes one line, and no more, from a pipe) and `base64 -d` turns
//   back into bytes for the command, which then sees its input end.

const WRAPPER = [
  "setsid",
  "-w",
  "/bin/sh",
  "-c",
  'echo $$; if [ "$1" = stdin ]; then shift; while IFS= read -r line && [ "$line" != . ]; do printf "%s\\n" "$line"; done | base64 -d | "$@"; else shift; exec "$@" </dev/null; fi',
  "sh",
];
/** A timed-out or abandoned command gets this long between SIGTERM and SIGKILL. */
/** Not `kill -- -<group>`: dash's kill takes no "--", and a negative pid after the signal is not taken for an option. */
/** After the grace, KILL again until the group is gone (for up to 5 s), so nothing that was starting as the first signal went out survives. */
const KILL_SCRIPT =
  'kill -TERM "-$1" 2>/dev/null; sleep 1; n=0; while kill -KILL "-$1" 2>/dev/null && [ "$n" -lt 50 ]; do n=$((n+1)); sleep 0.1; done; true';
/** The kill's exec is tried this many times: one that fails leaves the command running. */
const KILL_ATTEMPTS = 3;
/** How long the kill's own exec may take, and how long the command then has to end before its connection is dropped. */
const KILL_TIMEOUT_MS = 15_000;

export async function execInPod(kubeConfig: KubeConfig, ref: WorkspaceRef, options: ExecOptions): Promise<ExecResult> {
  const argv = [...WRAPPER, options.stdin ? "stdin" : "none", ...commandWithin(options, options.command)];
  const group = new GroupAnnouncement(options.onStdout);
  const stderr = new Writable({ write: (chunk: Buffer, _encoding, callback) => (options.onStderr(chunk), callback()) });
  const stdin = options.stdin ? base64Lines(options.stdin) : null;

  let status: Exit | undefined;
  let socket: WebSocket;
  try {
    socket = (await execClient(kubeConfig, { stdin: stdin ?? undefined, stdout: group, stderr }).exec(
      ref.namespace,
      ref.pod,
      CONTAINER_NAME,
      argv,
      group,
      stderr,
      stdin,
      false,
      (result) => (status = exitOf(result)),
    )) as WebSocket;
  } catch (error) {
    throw new RuntimeError("unavailable", `Could not run a command in the workspace: ${socketErrorMessage(error)}`, { cause: error });
  }
  group.holdBack = (held) => (held ? socket.pause() : socket.resume());

  const closed = new Promise<void>((resolve) => {
    if (socket.readyState === socket.CLOSED) return resolve();
    socket.on("error", () => {}); // followed by "close"
    socket.on("close", () => resolve());
  });
  let timedOut = false;
  let killing: Promise<void> | undefined;
  const kill = () => {
    killing ??= (async () => {
      // A command killed before it said which group it is (a short timeout, a slow start) is waited for: it says so first thing.
      const id = await Promise.race([group.announced, closed.then(() => null), new Promise<null>((resolve) => setTimeout(() => resolve(null), KILL_TIMEOUT_MS).unref())]);
      if (id !== null) await killGroup(kubeConfig, ref, id);
      // The command is gone (or never said which group it is): its connection closes now, or is dropped.
      setTimeout(() => socket.terminate(), id === null ? 0 : KILL_TIMEOUT_MS).unref();
    })();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);
  options.signal?.addEventListener("abort", kill, { once: true });

  await closed;
  clearTimeout(timer);
  options.signal?.removeEventListener("abort", kill);
  options.stdin?.destroy();
  // A process that let go of stdout and stderr may outlive the command: the result waits for the whole group's kill.
  await killing;
  const exit = status ?? { code: null };
  return { exitCode: timedOut || killing ? null : exit.code, timedOut };
}

async function killGroup(kubeConfig: KubeConfig, ref: WorkspaceRef, group: number): Promise<void> {
  for (let attempt = 1; attempt <= KILL_ATTEMPTS; attempt++) {
    try {
      await runInPod(kubeConfig, ref, ["/bin/sh", "-c", KILL_SCRIPT, "sh", String(group)], { timeoutMs: KILL_TIMEOUT_MS, maxOutputBytes: 4096 });
      return;
    } catch (error) {
      logger.warn({ err: error, pod: `${ref.namespace}/${ref.pod}`, group, attempt }, "killing a command's process group in a workspace pod failed");
    }
  }
}

/** stdout, less its first line: the process group id the wrapper prints before the command runs. */
class GroupAnnouncement extends Writable {
  id: number | null = null;
  #head = "";
  #announce!: (id: number) => void;
  /** Resolves with the group's id once the wrapper has printed it. */
  readonly announced = new Promise<number>((resolve) => (this.#announce = resolve));

  /** Stops and restarts the exec's connection (set once it is open): held while the output's taker holds a chunk back. */
  holdBack: (held: boolean) => void = () => {};

  constructor(private readonly onStdout: ExecOptions["onStdout"]) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.id !== null) return this.#forward(chunk, callback);
    const newline = chunk.indexOf(0x0a);
    if (newline === -1) {
      this.#head += chunk.toString("latin1");
      return callback();
    }
    this.id = Number(this.#head + chunk.subarray(0, newline).toString("latin1"));
    this.#announce(this.id);
    const rest = chunk.subarray(newline + 1);
    if (rest.length > 0) return this.#forward(rest, callback);
    callback();
  }

  /** Hands a chunk on; while its taker holds it back, the connection stops reading (and the command, once the kubelet's buffers fill, writing). */
  #forward(chunk: Buffer, callback: () => void): void {
    const taken = this.onStdout(chunk);
    if (!taken) return callback();
    this.holdBack(true);
    const next = () => {
      this.holdBack(false);
      callback();
    };
    void taken.then(next, next);
  }
}

/** `input` as base64 lines (each a whole number of 3-byte groups, so each decodes on its own), then ".". */
function base64Lines(input: Readable): PassThrough {
  const lines = new PassThrough();
  let carry = Buffer.alloc(0);
  input.on("data", (chunk: Buffer) => {
    const bytes = Buffer.concat([carry, chunk]);
    const whole = bytes.length - (bytes.length % 3);
    carry = bytes.subarray(whole);
    if (whole > 0) lines.write(`${bytes.subarray(0, whole).toString("base64")}\n`);
  });
  input.once("end", () => lines.write(`${carry.length > 0 ? `${carry.toString("base64")}\n` : ""}.\n`));
  input.once("error", () => lines.write(".\n"));
  return lines;
}
