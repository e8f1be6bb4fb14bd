import { spawn } from "node:child_process";
import type { ExecOptions, ExecResult } from "../types";
import { stopProcessGroup } from "./process-group";

// An exec (types.ts ExecOptions) on this host: `argv` enters the workspace's
// sandbox (sandbox.ts shellCommand) and is started as the leader of a
// process group of its own. nsenter and bwrap keep their children in that
// group, so a timeout or an abort kills the group, which is the command and
// everything it started (unless a process made a session of its own, which
// code in a workspace may do, and which then lives on as if started from the
// IDE's terminal).

/** How long a timed-out or abandoned command gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 1_000;

export function runInSandbox(argv: string[], env: Record<string, string>, options: ExecOptions): Promise<ExecResult> {
  const [file = "", ...args] = argv;
  // Next's types declare NODE_ENV required in every ProcessEnv; the workspace gets exactly `env`.
  const child = spawn(file, args, { cwd: "/", env: env as NodeJS.ProcessEnv, detached: true, stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
  // Both piped (stdio above).
  const stdout = child.stdout!;
  stdout.on("data", (chunk: Buffer) => {
    const taken = options.onStdout(chunk);
    if (!taken) return;
    stdout.pause();
    void taken.then(
      () => stdout.resume(),
      () => stdout.resume(),
    );
  });
  child.stderr!.on("data", (chunk: Buffer) => options.onStderr(chunk));
  if (options.stdin && child.stdin) {
    child.stdin.on("error", () => {}); // EPIPE: the command stopped reading
    options.stdin.pipe(child.stdin);
  }

  let timedOut = false;
  let killing: Promise<void> | undefined;
  const kill = () => {
    if (child.pid !== undefined) killing ??= stopProcessGroup(child.pid, KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);
  options.signal?.addEventListener("abort", kill, { once: true });

  return new Promise((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // "close", unlike "exit", comes after stdout and stderr are drained.
    child.once("close", (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", kill);
      options.stdin?.unpipe();
      // A process that let go of stdout and stderr may outlive the command: the result waits for the whole group.
      void Promise.resolve(killing).then(() => resolve({ exitCode: code, timedOut }), reject);
    });
  });
}
