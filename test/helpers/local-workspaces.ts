import fs from "node:fs/promises";
import path from "node:path";

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
