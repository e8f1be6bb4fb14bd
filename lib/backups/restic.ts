import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import type { Readable } from "node:stream";
import { env } from "@/lib/env";
import { repositoryOf, teamKey, type BackupStore } from "./store";

// restic, the backup tool: deduplicated, encrypted, incremental snapshots in
// a repository per team (store.ts). One place builds its command lines and
// environment; backups and restores run it beside a workspace's home
// (runtime.runOnHome), everything that reads only the repository (listing,
// browsing, downloading, pruning, checking) runs it here, in Podspace.

/** A restic run for one team's repository: its argv, environment and the host paths it needs. */
export interface ResticInvocation {
  command: string[];
  env: Record<string, string>;
  hostPaths: { path: string; writable: boolean }[];
}

/** restic's cache (index and tree data, encrypted), per team: it spares an incremental backup re-reading the repository. */
const cacheDirOf = (teamId: string) => path.join(env.PODSPACE_DATA_DIR, "backup-cache", teamId);

export function restic(store: BackupStore, teamId: string, args: string[]): ResticInvocation {
  const options: string[] = ["--cache-dir", cacheDirOf(teamId)];
  const hostPaths = [{ path: cacheDirOf(teamId), writable: true }];
  const vars: Record<string, string> = { RESTIC_REPOSITORY: repositoryOf(store, teamId), RESTIC_PASSWORD: teamKey(teamId) };
  if (store.kind === "folder") hostPaths.push({ path: repositoryOf(store, teamId), writable: true });
  else {
    if (store.pathStyle) options.push("-o", "s3.bucket-lookup=path");
    if (store.caFile) {
      options.push("--cacert", store.caFile);
      hostPaths.push({ path: store.caFile, writable: false });
    }
    vars.AWS_DEFAULT_REGION = store.region;
    if (env.AWS_ACCESS_KEY_ID) vars.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
    if (env.AWS_SECRET_ACCESS_KEY) vars.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
  }
  return { command: ["restic", ...options, ...args], env: vars, hostPaths };
}

/** restic failed; the message is the end of what it said. */
export class ResticError extends Error {
  override name = "ResticError";
  /** Why, without what failed: for a place that already says what (a backup's "Backup failed: …"). */
  readonly reason: string;
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
    what: string,
  ) {
    const exited = `restic exited with ${exitCode ?? "a signal"}`;
    const said = lastLines(stderr) || "no output";
    super(`${what} failed (${exited}): ${said}`);
    this.reason = `${exited}: ${said}`;
  }
}

/**
 * restic refused because another run holds the repository's exclusive lock
 * (a check or prune), or, for those, because any other run holds a lock:
 * restic 0.14 doesn't wait for locks, so the run is tried again later.
 */
export const isRepositoryLocked = (error: unknown): boolean => error instanceof ResticError && /repository is already locked/.test(error.stderr);

const lastLines = (text: string, lines = 5) => text.trim().split("\n").slice(-lines).join("\n");

/** Runs restic here and collects its stdout; rejects with a ResticError when it fails. */
export async function runRestic(invocation: ResticInvocation, what: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const child = spawnRestic(invocation, options.signal);
  const [stdout, stderr, code] = await Promise.all([text(child.stdout), text(child.stderr), child.exited]);
  if (code !== 0) throw new ResticError(code, stderr, what);
  return stdout;
}

/** Runs restic here with its stdout as a stream (a dump); `exited` rejects with a ResticError when it fails. */
export function streamRestic(invocation: ResticInvocation, what: string, signal?: AbortSignal): { stdout: Readable; exited: Promise<void> } {
  const child = spawnRestic(invocation, signal);
  const stderr = text(child.stderr);
  const exited = child.exited.then(async (code) => {
    if (code !== 0) throw new ResticError(code, await stderr, what);
  });
  return { stdout: child.stdout, exited };
}

/** restic's JSON lines, parsed; lines that aren't JSON (a warning) are skipped. */
export function jsonLines(stdout: string): unknown[] {
  return stdout.split("\n").flatMap((line) => {
    if (!line.startsWith("{") && !line.startsWith("[")) return [];
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      return [];
    }
  });
}

function spawnRestic(invocation: ResticInvocation, signal?: AbortSignal) {
  const [file = "", ...args] = invocation.command;
  // Only what restic needs: never Podspace's own secrets.
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", ...invocation.env };
  const child = spawn(file, args, { env: childEnv as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"], signal });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", (error) => ((error as NodeJS.ErrnoException).code === "ABORT_ERR" ? resolve(null) : reject(error)));
    child.once("close", resolve);
  });
  return { stdout: child.stdout, stderr: child.stderr, exited };
}

async function text(stream: Readable): Promise<string> {
  let out = "";
  for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) out += `${line}\n`;
  return out;
}
