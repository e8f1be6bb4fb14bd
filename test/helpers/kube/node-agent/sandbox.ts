// A pod's network namespace: what the kubelet's "pause" container is for.
// `unshare --net` gives it a namespace of its own, so every pod can listen
// on the same port (the IDE's 13337), and the pod network (pod-network.ts)
// gives it an eth0 with the pod's IP. A sleeping process holds the
// namespace open, so it outlives container restarts, and the container,
// exec sessions, port-forward connections and probes all enter it with
// nsenter --net=/proc/<sandbox pid>/ns/net. (Needs root, as the tests run.)
import fs from "node:fs";
import { startProcessGroup, stopProcessGroup } from "@/lib/runtime/local/process-group";
import { sleep } from "./api";
import { tool, TOOL_PATH } from "./host-tools";
import type { OrphanGuard } from "./orphan-guard";
import type { PodNetwork } from "./pod-network";

export interface Sandbox {
  pid: number;
  /** The pod's IP on the pod network. */
  ip: string;
  stop(): Promise<void>;
}

const UNSHARE = tool("unshare");
const NSENTER = tool("nsenter");
const SLEEP = tool("sleep");
export const SOCAT = tool("socat");

/** argv that runs `command` inside the sandbox's network namespace (nsenter execs it: same pid). */
export function inSandbox(sandboxPid: number, command: string[]): string[] {
  return [NSENTER, `--net=/proc/${sandboxPid}/ns/net`, "--", ...command];
}

export async function startSandbox(logFile: string, guard: OrphanGuard, network: PodNetwork): Promise<Sandbox> {
  // `ip link set lo up` before `exec sleep`: once the process is sleep, the
  // loopback is up and the namespace is ready to enter.
  const group = startProcessGroup({
    command: [UNSHARE, "--net", "--", "sh", "-c", `ip link set lo up && exec ${SLEEP} infinity`],
    cwd: "/",
    env: { PATH: TOOL_PATH.join(":") },
    logFile,
  });
  guard.track(group.pid);
  const stopGroup = async () => {
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
      await stopGroup();
      throw new Error(`could not create a network namespace (see ${logFile})`);
    }
    await sleep(20);
  }
  try {
    const link = await network.attach(group.pid);
    const stop = async () => {
      await link.detach();
      await stopGroup();
    };
    return { pid: group.pid, ip: link.ip, stop };
  } catch (error) {
    await stopGroup();
    throw error;
  }
}

async function isSleeping(pid: number): Promise<boolean> {
  try {
    return (await fs.promises.readFile(`/proc/${pid}/cmdline`, "utf8")) === `${SLEEP}\0infinity\0`;
  } catch {
    return false;
  }
}
