// Memory limits without cgroups: the agent sums the resident memory of each
// container's process group from /proc and kills the group when it passes
// the container's limit, which is what the kernel's cgroup OOM killer does
// to a real container (and why the kubelet then reports OOMKilled, 137).
import fs from "node:fs";

const SUFFIXES: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes memory quantity ("64Mi", "1G", "129e6", "134217728") in bytes. */
export function parseMemoryQuantity(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?(?:[eE]\d+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  const multiplier = match ? SUFFIXES[match[2]!] : undefined;
  if (!match || multiplier === undefined) throw new Error(`unsupported memory quantity "${quantity}"`);
  return Number(match[1]) * multiplier;
}

/** Resident memory in bytes of every process in each of `groups` (process group ids), summed per group. */
export function groupRss(groups: ReadonlySet<number>): Map<number, number> {
  const totals = new Map<number, number>();
  if (groups.size === 0) return totals;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pgid = processGroupOf(entry);
    if (pgid === undefined || !groups.has(pgid)) continue;
    totals.set(pgid, (totals.get(pgid) ?? 0) + residentBytes(entry));
  }
  return totals;
}

function processGroupOf(pid: string): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp …": comm may contain spaces and parentheses.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return undefined; // exited while we looked
  }
}

function residentBytes(pid: string): number {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib ? Number(kib) * 1024 : 0; // kernel threads and zombies have no VmRSS
  } catch {
    return 0;
  }
}
