import type { Readable } from "node:stream";
import { logTail, startProcessGroup, type ProcessGroup } from "./process-group";
import { INFO_FD, sandboxArgs, type SandboxLayout } from "./sandbox";

// Starts a workspace's sandbox as its own detached process group (so it
// outlives a Podspace restart, like any workspace process) and learns the
// pid of its first process, whose namespaces terminals enter.

const INFO_TIMEOUT_MS = 10_000;

/**
 * bwrap's --die-with-parent ends the sandbox when bwrap's parent dies, which
 * must not be Podspace: workspaces outlive a Podspace restart. So a shell
 * starts bwrap and waits for it, the parent whose death (the workspace's
 * process group stopped) does end the sandbox. It lets go of the info pipe
 * at once, so that bwrap closing it is its end.
 */
const KEEPER = `"$@" & exec ${INFO_FD}>&-; wait $!`;

export interface LaunchedSandbox {
  group: ProcessGroup;
  sandboxPid: number;
}

export async function launchSandbox(options: {
  layout: SandboxLayout;
  command: string[];
  idePort: number;
  env: Record<string, string>;
  logFile: string;
}): Promise<LaunchedSandbox> {
  const group = startProcessGroup({
    command: ["/bin/sh", "-c", KEEPER, "sh", "bwrap", ...sandboxArgs(options.layout, options.command, options.idePort)],
    cwd: "/",
    env: options.env,
    logFile: options.logFile,
    pipeFd: INFO_FD,
  });
  const sandboxPid = await Promise.race([
    readChildPid(group.pipe!),
    group.exited.then(async (code) =>
      Promise.reject(new Error(`The workspace's sandbox exited with code ${code} as it started.\n${await logTail(options.logFile)}`)),
    ),
  ]);
  return { group, sandboxPid };
}

/**
 * bwrap's --info-fd JSON carries the pid of the sandbox's first process. Read
 * to its end: bwrap closes the fd once it has written it, and a reader that
 * closed first would kill it with SIGPIPE.
 */
function readChildPid(pipe: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error("the workspace's sandbox did not report its pid")), INFO_TIMEOUT_MS);
    pipe.setEncoding("utf8");
    pipe.on("data", (chunk: string) => (text += chunk));
    pipe.once("end", () => {
      clearTimeout(timer);
      const match = /"child-pid":\s*(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
      else reject(new Error(`the workspace's sandbox reported no pid: ${text}`));
    });
  });
}
