// The host programs the agent runs (unshare, nsenter, ip, nft, socat), found
// once, and a way to run one to completion. Resolved here rather than through
// a pod's env: a container may set its own PATH, which must apply to its
// command and not to these tools.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const TOOL_PATH = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function tool(name: string): string {
  for (const dir of TOOL_PATH) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(`the node agent needs ${name} on PATH`);
}

/** Runs argv (with `input` on stdin); rejects with the command and its stderr when it fails. */
export function run(argv: string[], input?: string): Promise<void> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = execFile(file!, args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${argv.join(" ")}: ${stderr.trim() || error.message}`));
      else resolve();
    });
    // EPIPE when the command exits without reading it all: its exit status says why.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input ?? "");
  });
}
