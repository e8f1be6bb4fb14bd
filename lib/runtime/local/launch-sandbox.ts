import type { Readable } from "node:stream";
import { EGRESS_INTERFACE, egressCommand } from "./egress";
import { logTail, startProcessGroup, type ProcessGroup } from "./process-group";
import { INFO_FD, sandboxArgs, type SandboxLayout } from "./sandbox";

// Starts a workspace's sandbox as its own detached process group (so it
// outlives a Podspace restart, like any workspace process), learns the
// pid of its first process, whose namespaces terminals enter, and gives the
// sandbox its outbound network.

const REPORT_TIMEOUT_MS = 10_000;

/**
 * bwrap's --die-with-parent ends the sandbox when bwrap's parent dies, which
 * must not be Podspace: workspaces outlive a Podspace restart. So a shell
 * starts bwrap and waits for it, the parent whose death (the workspace's
 * process group stopped) does end the sandbox.
 *
 * The same shell starts the sandbox's slirp4netns, in the workspace's
 * process group too: it outlives Podspace and ends with a stop, like the
 * sandbox. It would outlive the sandbox, though, so it too dies with the
 * shell (setpriv's --pdeathsig, what bwrap's --die-with-parent does), which
 * exits with the sandbox. The shell reads the sandbox's pid on stdin, which
 * Podspace writes once bwrap has reported it; no line, no network.
 * slirp4netns reports its interface up on the info pipe, after bwrap's
 * report; the shell lets go of that pipe once it has started slirp4netns (or
 * not), so that the pipe's end is the end of both reports.
 */
const KEEPER = `"$@" & sandbox=$!
if read -r pid; then setpriv --pdeathsig TERM ${egressCommand(INFO_FD).join(" ")} "$pid" ${EGRESS_INTERFACE} & fi
exec ${INFO_FD}>&-
wait $sandbox`;

export interface LaunchedSandbox {
  group: ProcessGroup;
  sandboxPid: number;
  /** Whether the sandbox has outbound network: slirp4netns brought its interface up. */
  egress: boolean;
}

export async function launchSandbox(options: {
  layout: SandboxLayout;
  command: string[];
  idePort: number;
  env: Record<string, string>;
  logFile: string;
  /** Whether to give the sandbox outbound network (egress.ts: Podspace is root, slirp4netns installed). */
  egress: boolean;
}): Promise<LaunchedSandbox> {
  const group = startProcessGroup({
    command: ["/bin/sh", "-c", KEEPER, "sh", "bwrap", ...sandboxArgs(options.layout, options.command, options.idePort)],
    cwd: "/",
    env: options.env,
    logFile: options.logFile,
    pipeFd: INFO_FD,
    input: true,
  });
  // A shell that is gone (the sandbox exited as it started) is reported by its exit, below.
  group.input!.on("error", () => {});
  const reports = readReports(group.pipe!);
  const sandboxPid = await Promise.race([
    reports.sandboxPid,
    group.exited.then(async (code) =>
      Promise.reject(new Error(`The workspace's sandbox exited with code ${code} as it started.\n${await logTail(options.logFile)}`)),
    ),
  ]);
  group.input!.end(options.egress ? `${sandboxPid}\n` : "");
  return { group, sandboxPid, egress: await reports.egressReady };
}

/**
 * What the info pipe carries: bwrap's --info-fd JSON, with the pid of the
 * sandbox's first process, then slirp4netns's "1" once the sandbox's network
 * is up. Read to its end: both close it once they have written, and a reader
 * that closed first would kill them with SIGPIPE.
 */
function readReports(pipe: Readable): { sandboxPid: Promise<number>; egressReady: Promise<boolean> } {
  const sandboxPid = Promise.withResolvers<number>();
  const egressReady = Promise.withResolvers<boolean>();
  let text = "";
  const timer = setTimeout(() => {
    sandboxPid.reject(new Error("the workspace's sandbox did not report its pid"));
    egressReady.resolve(false);
  }, REPORT_TIMEOUT_MS);
  pipe.setEncoding("utf8");
  pipe.on("data", (chunk: string) => {
    text += chunk;
    // bwrap's JSON is one flat object: it is whole at its first "}".
    const infoEnd = text.indexOf("}");
    if (infoEnd < 0) return;
    const match = /"child-pid":\s*(\d+)/.exec(text.slice(0, infoEnd));
    if (match) sandboxPid.resolve(Number(match[1]));
    else sandboxPid.reject(new Error(`the workspace's sandbox reported no pid: ${text}`));
    if (text.slice(infoEnd + 1).includes("1")) egressReady.resolve(true);
  });
  pipe.once("end", () => {
    clearTimeout(timer);
    sandboxPid.reject(new Error(`the workspace's sandbox reported no pid: ${text}`));
    egressReady.resolve(false);
  });
  return { sandboxPid: sandboxPid.promise, egressReady: egressReady.promise };
}
