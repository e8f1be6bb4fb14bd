import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { WORKSPACE_HOME } from "../types";
import { SANDBOX_DNS } from "./egress";

// Each local workspace runs in a bubblewrap sandbox: its own mount, PID,
// network, IPC and UTS namespaces, the host's system directories read-only,
// and nothing of the host's but its own home (writable) and code-server's
// cache (read-only). So code in a workspace can't read Podspace's
// environment, its data dir or its database, can't see its processes or
// another workspace's, and can't reach anything listening on the host's
// loopback (PostgreSQL, another workspace's IDE or dev server); its way out
// is slirp4netns (egress.ts), which keeps that loopback closed.
//
// When Podspace runs as root, bwrap sets the sandbox up as root and the
// workspace then runs as a uid of its own, with every capability dropped
// and no way to gain one (setpriv): its files on the host are not
// Podspace's either. As an ordinary user, bwrap uses an unprivileged user
// namespace instead, in which the workspace runs as Podspace's uid.

/** Where things are inside every sandbox. */
export const SANDBOX = {
  home: WORKSPACE_HOME,
  /** The workspace's runtime dir: the relay's Unix sockets. */
  run: "/run/podspace",
  /** Podspace's code-server cache, read-only. */
  cache: "/opt/podspace/cache",
  /** The Node.js that runs the relay (Podspace's own), read-only. */
  node: "/opt/podspace/node/bin/node",
  relay: "/opt/podspace/sandbox-relay.mjs",
  /** The AI gateway's socket folder (lib/ai/gateway-server.ts), read-only. */
  ai: "/opt/podspace/ai",
} as const;

/** The gateway's socket in its folder, on the host and in the sandbox. */
export const AI_SOCKET = "gateway.sock";
/** Where the relay serves the AI gateway on the sandbox's loopback: the workspace's OPENAI_BASE_URL. */
export const SANDBOX_AI_PORT = 41434;

export const IDE_SOCKET = "ide.sock";
/** The socket that reaches any port on the sandbox's loopback (sandbox-relay.mjs). */
export const PORTS_SOCKET = "ports.sock";

/** Host directories every workspace sees read-only, as on the host; symlinks (merged /usr) are recreated. */
const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

export interface SandboxLayout {
  /** Host paths: the workspace's home (writable), its runtime dir (writable), the code-server cache (read-only). */
  home: string;
  runDir: string;
  /** Podspace's own folder on the host, which no sandbox sees: where the relay's sockets are moved to (takeRelaySockets). */
  socketDir: string;
  cacheDir: string;
  /** Host paths every workspace sees read-only at the same path (PODSPACE_LOCAL_SHARED_PATHS). */
  sharedPaths: readonly string[];
  /** Host folder of the AI gateway's socket, when the gateway is on. */
  aiSocketDir: string | null;
  hostname: string;
  /** The workspace's own uid on the host when Podspace is root (workspace-uids.ts); null otherwise. */
  hostUid: number | null;
  /** Host files seen in place of the host's /etc/<name> (etcFiles), by name. */
  etc: EtcFiles;
}

/** Files of /etc that a sandbox sees as Podspace writes them, not the host's. */
export const ETC_FILES = ["passwd", "group", "resolv.conf"] as const;
export type EtcFiles = Record<(typeof ETC_FILES)[number], string>;

/**
 * The contents of a sandbox's own /etc files: a passwd and group where the
 * workspace's user is `coder` and the host's users stay unlisted, and a
 * resolv.conf naming slirp's DNS forwarder, the only resolver it can reach.
 */
export function etcFiles(hostUid: number | null): EtcFiles {
  const uid = hostUid ?? process.getuid?.() ?? 0;
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\ncoder:x:${uid}:${uid}:coder:${SANDBOX.home}:/bin/bash\n`,
    group: `root:x:0:\ncoder:x:${uid}:\n`,
    "resolv.conf": `nameserver ${SANDBOX_DNS}\n`,
  };
}

/**
 * Where to mount over the host's /etc/<name>: the file itself, or where its
 * symlink leads (resolv.conf often into /run, which the sandbox doesn't
 * have), since bwrap can't mount over a symlink whose target is missing.
 */
function etcMountPoint(name: string): string {
  let file = path.join("/etc", name);
  for (let hops = 0; hops < 10 && lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink(); hops++) {
    file = path.resolve(path.dirname(file), readlinkSync(file));
  }
  return file;
}

/** The fd bwrap writes its JSON info to (the sandbox's pid): the one after stdio. */
export const INFO_FD = 3;
/**
 * The sandbox's handshake with Podspace, a socket, one line at a time: its
 * first process says "up" once bwrap has set the sandbox up and waits for a
 * line back (launch-sandbox.ts brings the sandbox's network up in between);
 * then it starts the relay, which says "listening" once its sockets are
 * bound, and waits for a second line (Podspace has taken the sockets,
 * takeRelaySockets) before it runs anything of the workspace's.
 */
export const HANDSHAKE_FD = 4;

/**
 * bwrap's argv for a sandbox running `command`, with the relay started
 * first: it forwards its Unix sockets to `idePort` on the sandbox's own
 * loopback, where the IDE listens, and to any port there
 * (sandbox-relay.mjs), once the handshake (HANDSHAKE_FD) says to go on.
 */
export function sandboxArgs(layout: SandboxLayout, command: string[], idePort: number): string[] {
  const ai = layout.aiSocketDir ? ` ${SANDBOX.ai}/${AI_SOCKET} ${SANDBOX_AI_PORT}` : "";
  const relay = [
    `echo up >&${HANDSHAKE_FD}; read -r go <&${HANDSHAKE_FD}`,
    `${SANDBOX.node} ${SANDBOX.relay} ${HANDSHAKE_FD} ${SANDBOX.run}/${IDE_SOCKET} ${idePort} ${SANDBOX.run}/${PORTS_SOCKET}${ai} &`,
    `read -r go <&${HANDSHAKE_FD}; exec ${HANDSHAKE_FD}>&-`,
    `exec "$@"`,
  ].join("\n");
  return [
    ...isolation(layout),
    // No TIOCSTI into a terminal outside (a terminal sandbox keeps its own pty as its controlling terminal).
    "--new-session",
    // Ends the sandbox when its bwrap is stopped (the workspace's process group).
    "--die-with-parent",
    "--info-fd", String(INFO_FD),
    "--",
    ...dropToWorkspaceUser(layout),
    "/bin/sh", "-c", relay, "sh",
    ...command,
  ];
}

/**
 * bwrap's argv for a terminal of its own beside the workspace's sandbox: the
 * same filesystem (home, tools), namespaces of its own. For Podspace as an
 * ordinary user, where joining the running sandbox's namespaces (nsenter) is
 * refused: bwrap nests a second user namespace in it (to mount /dev's devpts
 * first), which owns none of them. The shell then doesn't see the IDE's
 * processes or ports, and has no network either (egress.ts).
 */
export function shellSandboxArgs(layout: SandboxLayout, command: string[]): string[] {
  return [...isolation(layout), "--die-with-parent", "--", ...dropToWorkspaceUser(layout), ...command];
}

/**
 * bwrap's argv for a trusted tool run on the workspace's home (runOnHome):
 * the host's system directories, the home (read-only for a backup) and the
 * host paths the tool needs, and nothing else of the workspace's: not its
 * runtime dir, not its processes (a PID namespace of its own), so nothing
 * in the workspace can reach the tool or its environment. It keeps the
 * host's network, to reach the backup store. As root it stays root (the
 * home holds the workspace's uid's files, and a restore writes the
 * snapshot's owners) with only the capabilities to read, and for a
 * restore write, files; as an ordinary user, Podspace's uid in a user
 * namespace.
 */
export function homeToolArgs(
  layout: SandboxLayout,
  run: { access: "read" | "write"; hostPaths: readonly { path: string; writable: boolean }[] },
  command: string[],
): string[] {
  const writeCaps = run.access === "write" ? ",+dac_override,+chown,+fowner,+fsetid" : "";
  const asRoot = ["setpriv", "--inh-caps=-all", `--bounding-set=-all,+dac_read_search${writeCaps}`, "--no-new-privs", "--"];
  return [
    ...(layout.hostUid === null ? ["--unshare-user"] : []),
    "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    ...systemMounts(),
    "--proc", "/proc",
    "--dev", "/dev",
    "--tmpfs", "/tmp",
    ...ancestorsOf(SANDBOX.home).flatMap((dir) => ["--dir", dir]),
    run.access === "write" ? "--bind" : "--ro-bind", layout.home, SANDBOX.home,
    ...run.hostPaths.flatMap((host) => [host.writable ? "--bind" : "--ro-bind", host.path, host.path]),
    "--chdir", "/",
    "--new-session",
    "--die-with-parent",
    "--",
    ...(layout.hostUid === null ? [] : asRoot),
    ...command,
  ];
}

/** The host's system directories, read-only as they are; symlinks (merged /usr) recreated. */
function systemMounts(): string[] {
  return SYSTEM_PATHS.filter((dir) => existsSync(dir)).flatMap((dir) =>
    lstatSync(dir).isSymbolicLink() ? ["--symlink", readlinkSync(dir), dir] : ["--ro-bind", dir, dir],
  );
}

/** The namespaces and the filesystem every sandbox of the workspace gets. */
function isolation(layout: SandboxLayout): string[] {
  const system = systemMounts();
  const mounts: [flag: "--bind" | "--ro-bind", host: string, inside: string][] = [
    ["--bind", layout.home, SANDBOX.home],
    ["--bind", layout.runDir, SANDBOX.run],
    ["--ro-bind", layout.cacheDir, SANDBOX.cache],
    ["--ro-bind", path.dirname(realpathSync(process.execPath)), path.dirname(SANDBOX.node)],
    ["--ro-bind", path.join(import.meta.dirname, "sandbox-relay.mjs"), SANDBOX.relay],
    ...Object.entries(layout.etc).map(([name, file]) => ["--ro-bind", file, etcMountPoint(name)] as ["--ro-bind", string, string]),
    ...layout.sharedPaths.map((shared) => ["--ro-bind", shared, shared] as ["--ro-bind", string, string]),
    // The folder, not the socket: a socket made again after Podspace restarts is the one the sandbox sees.
    ...(layout.aiSocketDir ? [["--ro-bind", layout.aiSocketDir, SANDBOX.ai] as ["--ro-bind", string, string]] : []),
  ];
  // bwrap makes missing parents of a mount point private (0700); these are
  // made first, readable, so the workspace's user can reach its mounts.
  const parents = [...new Set(mounts.flatMap(([, , inside]) => ancestorsOf(inside)))].filter((dir) => !SYSTEM_PATHS.includes(dir));
  // Podspace's own uid inside: another would make bwrap nest a second user namespace.
  const user = layout.hostUid === null ? ["--unshare-user"] : [];
  return [
    ...user,
    "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    "--hostname", layout.hostname,
    ...system,
    "--proc", "/proc",
    "--dev", "/dev",
    // Sticky and world-writable, as everywhere: as root, bwrap makes them
    // root's 0755, which the workspace's uid couldn't write (mktemp, npm,
    // code-server's sockets all use /tmp).
    "--perms", "1777", "--tmpfs", "/tmp",
    "--perms", "1777", "--tmpfs", "/var/tmp",
    ...parents.flatMap((dir) => ["--dir", dir]),
    ...mounts.flat(),
    "--chdir", SANDBOX.home,
  ];
}

/** As root, the workspace runs as its own uid, with no capability and no way to gain one. */
function dropToWorkspaceUser(layout: SandboxLayout): string[] {
  if (layout.hostUid === null) return [];
  return ["setpriv", `--reuid=${layout.hostUid}`, `--regid=${layout.hostUid}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"];
}

/**
 * Moves the relay's sockets from the runtime dir, which the workspace can
 * write, to `layout.socketDir`, which it can't see, before any of the
 * workspace's code runs (the handshake waits for this). Podspace connects to
 * them there only: a path the workspace could write would let its code swap
 * a socket for a symlink to another workspace's socket, or to any socket on
 * the host, and Podspace, which may be root, would connect to that instead.
 * A bound socket keeps its listener when renamed; what is renamed is checked
 * to be a socket and not a symlink all the same.
 */
export async function takeRelaySockets(layout: Pick<SandboxLayout, "runDir" | "socketDir">): Promise<void> {
  for (const name of [IDE_SOCKET, PORTS_SOCKET]) {
    const taken = path.join(layout.socketDir, name);
    await fs.rename(path.join(layout.runDir, name), taken);
    const stat = await fs.lstat(taken);
    if (!stat.isSocket()) {
      await fs.rm(taken, { force: true });
      throw new Error(`the sandbox's relay left no socket at ${name}`);
    }
  }
}

/** "/a/b/c" → ["/a", "/a/b"]. */
function ancestorsOf(dir: string): string[] {
  const parts = dir.split("/").filter(Boolean).slice(0, -1);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

/**
 * argv that runs `command` in the workspace's sandbox, as its user, in its
 * home: as root, inside the running sandbox whose first process is
 * `sandboxPid` (nsenter); as an ordinary user, in a terminal sandbox of its own.
 */
export function shellCommand(layout: SandboxLayout, sandboxPid: number, command: string[]): string[] {
  if (layout.hostUid === null) return ["bwrap", ...shellSandboxArgs(layout, command)];
  return [
    "nsenter",
    `--target=${sandboxPid}`,
    "--mount", "--pid", "--net", "--ipc", "--uts",
    `--setuid=${layout.hostUid}`,
    `--setgid=${layout.hostUid}`,
    // The sandbox's working directory: its home.
    "--wd",
    "--",
    ...command,
  ];
}

/**
 * Whether sandboxes can be made here, tried once with the real thing; null
 * when they can, else one line saying why and what to do.
 */
export function sandboxUnavailable(): string | null {
  const user = process.getuid?.() === 0 ? [] : ["--unshare-user"];
  const probe = spawnSync("bwrap", [...user, "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "--", "true"], { encoding: "utf8", timeout: 10_000 });
  if (probe.error) {
    return (probe.error as NodeJS.ErrnoException).code === "ENOENT"
      ? "workspaces run in a bubblewrap sandbox, and bwrap is missing on this machine; install with: sudo apt-get install -y bubblewrap"
      : `the workspace sandbox could not be tried: ${probe.error.message}`;
  }
  if (probe.status !== 0) {
    return `workspaces run in a bubblewrap sandbox, which this machine refuses (${probe.stderr.trim()}); it needs unprivileged user namespaces: sudo sysctl -w kernel.unprivileged_userns_clone=1`;
  }
  return null;
}
