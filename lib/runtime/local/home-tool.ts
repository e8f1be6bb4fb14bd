import { spawn } from "node:child_process";
import readline from "node:readline";
import type { HomeToolResult, HomeToolRun } from "../types";

// Runs a trusted tool's sandbox (sandbox.ts homeToolArgs) and streams what
// it says: its stdout line by line to the caller, the end of its stderr kept
// to say why it failed. bwrap dies with this process (--die-with-parent),
// so killing bwrap on abort ends the tool too.

const STDERR_KEPT = 8_192;

export function runHomeTool(argv: string[], run: Pick<HomeToolRun, "env" | "onStdoutLine" | "signal">): Promise<HomeToolResult> {
  const [file = "", ...args] = argv;
  // Next's types declare NODE_ENV required in every ProcessEnv; the tool gets exactly `env`.
  const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin", ...run.env };
  const child = spawn(file, args, { cwd: "/", env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }).on("line", run.onStdoutLine);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_KEPT)));
  const kill = () => child.kill("SIGKILL");
  run.signal?.addEventListener("abort", kill, { once: true });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    // "close" comes after stdout and stderr are drained.
    child.once("close", (code) => {
      run.signal?.removeEventListener("abort", kill);
      resolve({ exitCode: code, stderr: stderr.trim() });
    });
  });
}
