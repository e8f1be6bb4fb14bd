import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

// What the local runtime knows about a running workspace, on disk, so a
// restarted Podspace finds its IDE processes again instead of orphaning them.

/** pid: the workspace's bwrap (its process group); sandboxPid: the first process inside, whose namespaces terminals enter. */
const processRecord = z.object({ pid: z.number().int().positive(), sandboxPid: z.number().int().positive(), startTime: z.string() });
export type ProcessRecord = z.infer<typeof processRecord>;

const fileOf = (dir: string, workspaceId: string) => path.join(dir, `${workspaceId}.json`);

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat). Stored
 * with the pid so a pid reused by an unrelated process after a reboot is not
 * mistaken for the workspace's IDE.
 */
export async function processStartTime(pid: number): Promise<string | null> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  // The command name (field 2) may contain spaces and parentheses; count from its closing one.
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}

export async function writeProcessRecord(dir: string, workspaceId: string, record: Omit<ProcessRecord, "startTime">): Promise<void> {
  const startTime = await processStartTime(record.pid);
  // Written aside and renamed: a crash mid-write must not leave half a record.
  const file = fileOf(dir, workspaceId);
  await fs.writeFile(`${file}.tmp`, JSON.stringify({ ...record, startTime: startTime ?? "" }));
  await fs.rename(`${file}.tmp`, file);
}

// A crash between spawning a workspace's process and recording its pid
// would leave a process nobody knows about, and the next start would add a
// second IDE. So a marker is written before the spawn and removed once the
// record is; the process carries WORKSPACE_PROCESS_VARIABLE in its
// environment (inherited by everything it starts), by which a later start
// finds and ends what an interrupted one left.

/** Set in a workspace's main process's environment to the workspace's id. */
export const WORKSPACE_PROCESS_VARIABLE = "PODSPACE_WORKSPACE_PROCESS";

const spawnMarkerOf = (dir: string, workspaceId: string) => path.join(dir, `${workspaceId}.spawning`);

export async function markSpawning(dir: string, workspaceId: string): Promise<void> {
  await fs.writeFile(spawnMarkerOf(dir, workspaceId), "");
}

export async function clearSpawning(dir: string, workspaceId: string): Promise<void> {
  await fs.rm(spawnMarkerOf(dir, workspaceId), { force: true });
}

/** Pids of the processes an interrupted start of the workspace left behind; empty when no start was interrupted. */
export async function interruptedSpawnProcesses(dir: string, workspaceId: string): Promise<number[]> {
  if (!(await fs.access(spawnMarkerOf(dir, workspaceId)).then(() => true, () => false))) return [];
  const marker = `${WORKSPACE_PROCESS_VARIABLE}=${workspaceId}`;
  const pids = (await fs.readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const environments = await Promise.all(pids.map((pid) => fs.readFile(`/proc/${pid}/environ`, "utf8").catch(() => "")));
  return pids.filter((_, i) => environments[i]!.split("\0").includes(marker)).map(Number);
}

/** The record of a process that is still the one recorded; null otherwise. */
export async function readLiveProcessRecord(dir: string, workspaceId: string): Promise<ProcessRecord | null> {
  const text = await fs.readFile(fileOf(dir, workspaceId), "utf8").catch(() => null);
  const parsed = processRecord.safeParse(parseJson(text));
  if (!parsed.success) return null;
  return (await processStartTime(parsed.data.pid)) === parsed.data.startTime ? parsed.data : null;
}

/**
 * Workspaces a Podspace from before the sandbox started: their records name
 * a process (an IDE on an open loopback port) but no sandbox. Resolves with
 * each one's workspace id and, when it still runs, its pid.
 */
export async function unsandboxedProcessRecords(dir: string): Promise<{ workspaceId: string; livePid: number | null }[]> {
  const legacy = z.object({ pid: z.number().int().positive(), port: z.number().int().positive(), startTime: z.string() });
  const files = (await fs.readdir(dir).catch(() => [])).filter((file) => file.endsWith(".json"));
  const found = await Promise.all(
    files.map(async (file) => {
      const parsed = legacy.safeParse(parseJson(await fs.readFile(path.join(dir, file), "utf8").catch(() => null)));
      if (!parsed.success) return [];
      const live = (await processStartTime(parsed.data.pid)) === parsed.data.startTime;
      return [{ workspaceId: file.slice(0, -".json".length), livePid: live ? parsed.data.pid : null }];
    }),
  );
  return found.flat();
}

/** The workspaces with a process record in `dir`, live or not. */
export async function recordedWorkspaceIds(dir: string): Promise<string[]> {
  const files = await fs.readdir(dir).catch(() => []);
  return files.filter((file) => file.endsWith(".json")).map((file) => file.slice(0, -".json".length));
}

export async function hasProcessRecord(dir: string, workspaceId: string): Promise<boolean> {
  return fs.access(fileOf(dir, workspaceId)).then(() => true, () => false);
}

export async function removeProcessRecord(dir: string, workspaceId: string): Promise<void> {
  await fs.rm(fileOf(dir, workspaceId), { force: true });
}

function parseJson(text: string | null): unknown {
  try {
    return text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
}
