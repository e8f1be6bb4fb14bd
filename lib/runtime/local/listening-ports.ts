import fs from "node:fs/promises";
import { parseListeningSockets } from "../proc-net-tcp";
import type { ListeningPort } from "../types";

// The TCP ports processes in a sandbox listen on, read from the kernel as
// `ss -ltp` would: the sockets of the sandbox's network namespace in
// /proc/<pid>/net/tcp{,6} (any process of the sandbox shows its namespace's),
// and which process holds each, from the file descriptors of the processes
// in that namespace.

const readOr = (file: string, fallback: string) => fs.readFile(file, "utf8").catch(() => fallback);
const linkOf = (file: string) => fs.readlink(file).catch(() => null);

/** The listening ports of the network namespace `sandboxPid` is in, each with the name of a process that holds it (null when none could be read). */
export async function listeningPorts(sandboxPid: number): Promise<ListeningPort[]> {
  const tables = await Promise.all(["tcp", "tcp6"].map((name) => readOr(`/proc/${sandboxPid}/net/${name}`, "")));
  const sockets = new Map(tables.flatMap((table) => [...parseListeningSockets(table)]));
  const owners = await socketOwners(sandboxPid, new Set(sockets.keys()));
  const ports = new Map<number, ListeningPort>();
  for (const [inode, port] of sockets) {
    // One server on both 0.0.0.0 and [::] is one port.
    if (!ports.get(port)?.process) ports.set(port, { port, process: owners.get(inode) ?? null });
  }
  return [...ports.values()].sort((a, b) => a.port - b.port);
}

/**
 * What a process is, as people would name it: its program, and the script
 * an interpreter runs ("node vite.js", "python3 app.py"). Not its comm:
 * Node.js names its main thread "MainThread".
 */
export function commandName(cmdline: string): string {
  const [program, first] = cmdline.split("\0").map((arg) => arg.split("/").at(-1) ?? arg);
  return [program, first && !first.startsWith("-") ? first : ""].join(" ").trim();
}

/** The name of a process in `sandboxPid`'s network namespace holding each of `inodes`. */
async function socketOwners(sandboxPid: number, inodes: Set<string>): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const namespace = await linkOf(`/proc/${sandboxPid}/ns/net`);
  if (!namespace || inodes.size === 0) return owners;
  const pids = (await fs.readdir("/proc")).filter((name) => /^\d+$/.test(name));
  await Promise.all(
    pids.map(async (pid) => {
      if ((await linkOf(`/proc/${pid}/ns/net`)) !== namespace) return;
      const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => []);
      const held = (await Promise.all(fds.map((fd) => linkOf(`/proc/${pid}/fd/${fd}`))))
        .map((link) => /^socket:\[(\d+)\]$/.exec(link ?? "")?.[1])
        .filter((inode): inode is string => inode !== undefined && inodes.has(inode));
      if (held.length === 0) return;
      const name = commandName(await readOr(`/proc/${pid}/cmdline`, ""));
      for (const inode of held) if (name) owners.set(inode, name);
    }),
  );
  return owners;
}
