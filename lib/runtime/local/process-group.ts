import { spawn, type StdioOptions } from "node:child_process";
import fs from "node:fs";
import type { Duplex, Writable } from "node:stream";

// A workspace process runs in its own process group so that stopping it
// stops everything it started (a shell, a language server, a build), and
// detached so that it survives a Podspace restart: the driver finds it again
// by pid instead of leaving an orphan behind.

export interface ProcessGroup {
  pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The pipes it was given after stdio (fd 3, 4, …), empty unless it asked for some; each a Unix socket, both ways. */
  pipes: Duplex[];
  /** Its stdin, when it asked for a pipe there. */
  input?: Writable;
}

export function startProcessGroup(options: {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  /** How many pipes to give the process after stdio (fd 3, 4, …). */
  pipes?: number;
  /** Whether its stdin is a pipe to write to, rather than nothing. */
  input?: boolean;
}): ProcessGroup {
  const log = fs.openSync(options.logFile, "a");
  try {
    const [file = "", ...args] = options.command;
    const pipeCount = options.pipes ?? 0;
    const stdio: StdioOptions = [options.input ? "pipe" : "ignore", log, log, ...Array<"pipe">(pipeCount).fill("pipe")];
    // Next's types declare NODE_ENV required in every ProcessEnv; a workspace
    // gets exactly the environment it is given, without Podspace's NODE_ENV.
    const env = options.env as NodeJS.ProcessEnv;
    const child = spawn(file, args, { cwd: options.cwd, env, detached: true, stdio });
    // Without a pid the spawn failed (no such file, bad cwd); the error event says why, later.
    if (child.pid === undefined) throw new Error(`could not start ${file} in ${options.cwd}`);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.unref();
    const pipes = child.stdio.slice(3, 3 + pipeCount) as Duplex[];
    return { pid: child.pid, exited, pipes, input: options.input ? child.stdin! : undefined };
  } finally {
    fs.closeSync(log);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** SIGTERM to the whole group, then SIGKILL to whatever is left after `graceMs`. */
export async function stopProcessGroup(pid: number, graceMs = 5_000): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  };
  signalGroup("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (groupAlive(pid)) signalGroup("SIGKILL");
  while (groupAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How much of a log's end logTail reads: the log of an IDE that ran for weeks is large, and a dead workspace's status reads it on every check. */
const TAIL_BYTES = 64 * 1024;

/**
 * The last lines a workspace's processes wrote to their log (after byte
 * `from`: since a start), for a failure message people can act on.
 */
export async function logTail(logFile: string, lines = 20, from = 0): Promise<string> {
  const file = await fs.promises.open(logFile, "r").catch(() => null);
  if (!file) return "";
  try {
    const { size } = await file.stat();
    const start = Math.max(from, size - TAIL_BYTES);
    const { buffer, bytesRead } = await file.read({ buffer: Buffer.alloc(size - start), position: start });
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    // Cut mid-file: the first line read may be a part of one.
    const whole = start > from ? text.slice(text.indexOf("\n") + 1) : text;
    return whole.trimEnd().split("\n").slice(-lines).join("\n");
  } finally {
    await file.close();
  }
}
