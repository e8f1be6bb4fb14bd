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
  const marker = `${WORKSPACE_PROCESS_VARIABLE}=${workspaceId}`;
  const marked = async (pid: string) => (await fs.readFile(`/proc/${pid}/environ`, "utf8").catch(() => "")).split("\0").includes(marker);
  const parentOf = async (pid: string) => (await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")).split(") ")[1]?.split(" ")[1] ?? "";
  const pids = (await fs.readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const outermost = await Promise.all(pids.map(async (pid) => (await marked(pid)) && !(await marked(await parentOf(pid)))));
  return pids.filter((_, i) => outermost[i]).map(Number);
}
