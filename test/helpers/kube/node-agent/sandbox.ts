// A pod's network namespace: what the kubelet's "pause" container is for.
// `unshare --net` gives it a namespace of its own with only a loopback
// interface, so every pod can listen on the same port (the IDE's 13337) and
// nothing in one pod can reach another. A sleeping process holds the
// namespace open, so it outlives container restarts, and the container,
// exec sessions, port-forward connections and probes all enter it with
// nsenter --net=/proc/<sandbox pid>/ns/net. (Needs root, as the tests run.)
import fs from "node:fs";
import path from "node:path";
import { startProcessGroup, stopProcessGroup } from "@/lib/runtime/local/process-group";
import { sleep } from "./api";
import type { OrphanGuard } from "./orphan-guard";

export interface Sandbox {
  pid: number;
  stop(): Promise<void>;
}

// Resolved here rather than through the pod's env: a container may set its
// own PATH, which must apply to its command and not to these tools.
const TOOL_PATH = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function tool(name: string): string {
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

const UNSHARE = tool("unshare");
const NSENTER = tool("nsenter");
const SLEEP = tool("sleep");
export const SOCAT = tool("socat");

/** argv that runs `command` inside the sandbox's network namespace (nsenter execs it: same pid). */
export function inSandbox(sandboxPid: number, command: string[]): string[] {
  return [NSENTER, `--net=/proc/${sandboxPid}/ns/net`, "--", ...command];
}

export async function startSandbox(logFile: string, guard: OrphanGuard): Promise<Sandbox> {
  // `ip link set lo up` before `exec sleep`: once the process is sleep, the
  // loopback is up and the namespace is ready to enter.
  const group = startProcessGroup({
    command: [UNSHARE, "--net", "--", "sh", "-c", `ip link set lo up && exec ${SLEEP} infinity`],
    cwd: "/",
    env: { PATH: TOOL_PATH.join(":") },
    logFile,
  });
  guard.track(group.pid);
  const stop = async () => {
    await stopProcessGroup(group.pid, 1_000);
    guard.untrack(group.pid);
  };
  let ended = false;
  group.exited.then(
    () => (ended = true),
    () => (ended = true),
  );
  const deadline = Date.now() + 5_000;
  while (!(await isSleeping(group.pid))) {
    if (ended || Date.now() > deadline) {
      await stop();
      throw new Error(`could not create a network namespace (see ${logFile})`);
    }
    await sleep(20);
  }
  return { pid: group.pid, stop };
}

async function isSleeping(pid: number): Promise<boolean> {
  try {
    return (await fs.promises.readFile(`/proc/${pid}/cmdline`, "utf8")) === `${SLEEP}\0infinity\0`;
  } catch {
    return false;
  }
}
