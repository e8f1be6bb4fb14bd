import type { KubeConfig } from "@kubernetes/client-node";
import { logger } from "@/lib/observability/logger";
import { hasSocketTable, parseListeningSockets } from "../proc-net-tcp";
import type { ListeningPort } from "../types";
import type { WorkspaceRef } from "./names";
import { runInPod } from "./pod-exec";

// The TCP ports a workspace pod listens on: its network namespace's socket
// tables, read over exec by the container's own `cat` (a pod's /proc/net is
// its namespace's), and parsed as the local runtime parses them. Which
// process holds each port would take a walk over every process's file
// descriptors in the container; the list does without it.

/** Only `cat`: a shell is not in every image. tcp6 may be absent (IPv6 off); what tcp printed still counts. */
const READ_TABLES = ["cat", "/proc/net/tcp", "/proc/net/tcp6"];
/** The ports list asks every few seconds; a pod that can't answer by then is skipped this time. */
const TIMEOUT_MS = 10_000;
/** A socket table line is ~150 bytes: room for tens of thousands of sockets. */
const MAX_OUTPUT_BYTES = 8 * 2 ** 20;
/** Pods already warned about: an open ports list asks every few seconds, and the answer won't change. */
const warned = new Set<string>();

/**
 * The listening ports of the pod `ref`, sorted. A container that can't
 * print its tables (no `cat`, no /proc) has none, with a warning logged;
 * rejects with "unavailable" when the exec can't be run at all.
 */
export async function podListeningPorts(kubeConfig: KubeConfig, ref: WorkspaceRef): Promise<ListeningPort[]> {
  const { stdout, stderr, exit } = await runInPod(kubeConfig, ref, READ_TABLES, { timeoutMs: TIMEOUT_MS, maxOutputBytes: MAX_OUTPUT_BYTES });
  if (!hasSocketTable(stdout)) {
    warnOnce(ref, exit.reason ?? (stderr.trim() || `exit code ${exit.code}`));
    return [];
  }
  const ports = new Set(parseListeningSockets(stdout).values());
  return [...ports].sort((a, b) => a - b).map((port) => ({ port, process: null }));
}

function warnOnce(ref: WorkspaceRef, why: string): void {
  const pod = `${ref.namespace}/${ref.pod}`;
  if (warned.has(pod)) return;
  warned.add(pod);
  logger.warn({ namespace: ref.namespace, pod: ref.pod }, `can't list the ports workspace pod ${pod} listens on: \`${READ_TABLES.join(" ")}\` in its container failed (${why})`);
}
