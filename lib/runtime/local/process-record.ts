import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

// What the local runtime knows about a running workspace, on disk, so a
// restarted Podspace finds its IDE processes again instead of orphaning them.

const processRecord = z.object({ pid: z.number().int().positive(), port: z.number().int().positive(), startTime: z.string() });
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
  await fs.writeFile(fileOf(dir, workspaceId), JSON.stringify({ ...record, startTime: startTime ?? "" }));
}

/** The record of a process that is still the one recorded; null otherwise. */
export async function readLiveProcessRecord(dir: string, workspaceId: string): Promise<ProcessRecord | null> {
  const text = await fs.readFile(fileOf(dir, workspaceId), "utf8").catch(() => null);
  const parsed = processRecord.safeParse(parseJson(text));
  if (!parsed.success) return null;
  return (await processStartTime(parsed.data.pid)) === parsed.data.startTime ? parsed.data : null;
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
