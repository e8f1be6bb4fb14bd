import fs from "node:fs/promises";
import path from "node:path";
import { WORKSPACE_PROCESS_VARIABLE } from "@/lib/runtime/local/process-record";

/**
 * Ends the processes of every workspace the local runtime recorded under
 * `dataDir`. Workspaces outlive the runtime object by design (they survive
 * a Podspace restart), so a test that started some must end them itself, or
 * they stay behind after the run.
 */
export async function endLocalWorkspaces(dataDir: string): Promise<void> {
  const records = path.join(dataDir, "runtime", "local");
  for (const file of await fs.readdir(records).catch(() => [])) {
    if (!file.endsWith(".json")) continue;
    const record = JSON.parse(await fs.readFile(path.join(records, file), "utf8").catch(() => "{}")) as { pid?: number };
    if (!record.pid) continue;
    try {
      process.kill(-record.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
}

/**
 * Pids of the outermost processes carrying the workspace's marker in their
 * environment: one per sandbox (its bwrap), plus any stray process started
 * with the marker.
 */
export async function workspaceProcesses(workspaceId: string): Promise<number[]> {
  const marked = (pid: string) => carriesMarker(pid, workspaceId);
  const parentOf = async (pid: string) => (await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")).split(") ")[1]?.split(" ")[1] ?? "";
  const pids = await allPids();
  const outermost = await Promise.all(pids.map(async (pid) => (await marked(pid)) && !(await marked(await parentOf(pid)))));
  return pids.filter((_, i) => outermost[i]).map(Number);
}

/** Pids of the workspace's running slirp4netns processes: what gives its sandbox outbound network. */
export async function egressProcesses(workspaceId: string): Promise<number[]> {
  const isEgress = async (pid: string) =>
    (await fs.readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim() === "slirp4netns" && (await carriesMarker(pid, workspaceId));
  const pids = await allPids();
  const found = await Promise.all(pids.map(isEgress));
  return pids.filter((_, i) => found[i]).map(Number);
}

const allPids = async () => (await fs.readdir("/proc")).filter((name) => /^\d+$/.test(name));

/** Whether the process has the workspace's marker in its environment, which everything its start spawned inherits. */
async function carriesMarker(pid: string, workspaceId: string): Promise<boolean> {
  const environ = await fs.readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
  return environ.split("\0").includes(`${WORKSPACE_PROCESS_VARIABLE}=${workspaceId}`);
}
