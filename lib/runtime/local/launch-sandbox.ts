import readline from "node:readline";
import type { Duplex, Readable } from "node:stream";
import { EGRESS_INTERFACE, egressCommand } from "./egress";
import { logTail, startProcessGroup, stopProcessGroup, type ProcessGroup } from "./process-group";
import { HANDSHAKE_FD, INFO_FD, sandboxArgs, takeRelaySockets, type SandboxLayout } from "./sandbox";

// Starts a workspace's sandbox as its own detached process group (so it
// outlives a Podspace restart, like any workspace process), learns the
// pid of its first process, whose namespaces terminals enter, and gives the
// sandbox its outbound network.

const REPORT_TIMEOUT_MS = 20_000;

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
 * Podspace writes once the sandbox is set up; no line, no network.
 * slirp4netns reports its interface up on the info pipe, after bwrap's
 * report; the shell lets go of that pipe once it has started slirp4netns (or
 * not), so that the pipe's end is the end of both reports. The handshake
 * (HANDSHAKE_FD) is bwrap's and the sandbox's alone: its end without a word
 * means bwrap gave up setting the sandbox up.
 */
const KEEPER = `"$@" & sandbox=$!
exec ${HANDSHAKE_FD}>&-
if read -r pid; then setpriv --pdeathsig TERM ${egressCommand(INFO_FD).join(" ")} "$pid" ${EGRESS_INTERFACE} & fi
exec ${INFO_FD}>&-
wait $sandbox`;

export interface LaunchedSandbox {
  group: ProcessGroup;
  sandboxPid: number;
  /** Whether the sandbox has outbound network: slirp4netns brought its interface up. */
  egress: boolean;
}

/**
 * Starts the sandbox and resolves once it runs the workspace's command, with
 * its network up if it is to have one. In that order: bwrap reports the
 * sandbox's pid, the sandbox says it is set up, slirp4netns joins its
 * network namespace and brings it up, the relay binds its sockets and
 * Podspace moves them out of the workspace's reach (takeRelaySockets), then
 * the workspace's command runs.
 * slirp4netns started at bwrap's report would configure the namespace while
 * bwrap still sets up its loopback, and bwrap fails now and then when it does
 * ("loopback: Failed RTM_NEWADDR"); a command run before the network is up
 * would find none.
 */
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
    pipes: 2,
    input: true,
  });
  // A sandbox that is gone (it exited as it started) is reported by its exit, below.
  group.input!.on("error", () => {});
  const [infoPipe, handshake] = group.pipes as [Duplex, Duplex];
  handshake.on("error", () => {});
  const sandboxSays = lineReader(handshake);
  const reports = readReports(infoPipe);
  const exited = group.exited.then(async (code) => {
    throw new Error(`The workspace's sandbox exited with code ${code} as it started.\n${await logTail(options.logFile)}`);
  });
  exited.catch(() => {});
  try {
    const sandboxPid = await Promise.race([reports.sandboxPid, exited]);
    // Closed without a word: bwrap gave up setting the sandbox up.
    const isSetUp = (await sandboxSays("the workspace's sandbox was not set up in time")) === "up";
    group.input!.end(isSetUp && options.egress ? `${sandboxPid}\n` : "");
    // Not set up: the shell that waited for the pid goes on to report bwrap's exit.
    if (!isSetUp) await exited;
    const egress = await reports.egressReady;
    handshake.write("go\n");
    const relaySays = await sandboxSays("the workspace's relay did not bind its sockets in time").catch((error: Error) => error.message);
    if (relaySays !== "listening") throw new Error(`${relaySays ?? "The workspace's relay did not bind its sockets."}\n${await logTail(options.logFile)}`);
    await takeRelaySockets(options.layout);
    // Let go once it's sent: bwrap holds its end for the sandbox's life, Podspace needn't hold one per workspace.
    handshake.end("go\n", () => handshake.destroy());
    return { group, sandboxPid, egress };
  } catch (error) {
    // One that never said it was set up is of no use; it would hold its uid and home for nothing.
    await stopProcessGroup(group.pid, 1_000);
    throw error;
  }
}

/**
 * The handshake's lines, one per call, in order: the line, or null once the
 * sandbox closed its end; rejects with `timeoutMessage` if none comes in time.
 */
function lineReader(handshake: Duplex): (timeoutMessage: string) => Promise<string | null> {
  // The iterator buffers lines that come before they are asked for.
  const lines = readline.createInterface({ input: handshake, crlfDelay: Infinity })[Symbol.asyncIterator]();
  return async (timeoutMessage) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(timeoutMessage)), REPORT_TIMEOUT_MS);
    });
    try {
      const line = await Promise.race([lines.next(), timeout]);
      return line.done ? null : line.value;
    } finally {
      clearTimeout(timer);
    }
  };
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
