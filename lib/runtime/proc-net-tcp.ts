// The kernel's TCP socket tables as /proc/net/tcp and /proc/net/tcp6 print
// them, one network namespace's each: what both runtimes read to tell which
// ports a workspace listens on (the local one from the host's /proc, the
// Kubernetes one from inside the pod, over exec).

const LISTEN = "0A";

/**
 * Ports in LISTEN state, by socket inode, from one or more tables: header
 * lines (each table has one, and exec output may hold both) match nothing.
 */
export function parseListeningSockets(tables: string): Map<string, number> {
  const sockets = new Map<string, number>();
  for (const line of tables.split("\n")) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if (fields.length < 10 || fields[3] !== LISTEN) continue;
    const port = parseInt(fields[1]!.split(":")[1]!, 16);
    if (port > 0) sockets.set(fields[9]!, port);
  }
  return sockets;
}

/** Whether `text` holds a socket table at all (its header), as opposed to an error or nothing. */
export function hasSocketTable(text: string): boolean {
  return /^\s*sl\s+local_address\s/m.test(text);
}
