import { describe, expect, it } from "vitest";
import { commandName } from "@/lib/runtime/local/listening-ports";
import { hasSocketTable, parseListeningSockets } from "@/lib/runtime/proc-net-tcp";

// The kernel's socket tables as /proc/<pid>/net/tcp{,6} print them.

const TABLE_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

describe("reading /proc/net/tcp", () => {
  it("keeps listening sockets only, by inode, with their port", () => {
    const table = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0BB8 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 41240 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41300 1 0000000000000000 100 0 0 10 0
`;
    expect(parseListeningSockets(table)).toEqual(new Map([["41234", 3000], ["41300", 8080]]));
    const v6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1435 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51234 1 0000000000000000 100 0 0 10 0
`;
    expect(parseListeningSockets(v6)).toEqual(new Map([["51234", 5173]]));
    expect(parseListeningSockets("")).toEqual(new Map());
    // Both tables in one text, as `cat /proc/net/tcp /proc/net/tcp6` prints them in a pod: the second header is no socket.
    expect(parseListeningSockets(table + v6)).toEqual(new Map([["41234", 3000], ["41300", 8080], ["51234", 5173]]));
  });

  it("tells a table from what a failed read prints", () => {
    expect(hasSocketTable(TABLE_HEADER)).toBe(true);
    expect(hasSocketTable("")).toBe(false);
    expect(hasSocketTable("cat: /proc/net/tcp: No such file or directory\n")).toBe(false);
  });

  it("names a process by its program, and the script an interpreter runs", () => {
    expect(commandName("/usr/bin/node\0/home/coder/app/node_modules/.bin/vite\0--port\x005173\0")).toBe("node vite");
    expect(commandName("python3\0-m\0http.server\0")).toBe("python3");
    expect(commandName("/usr/sbin/nginx\0")).toBe("nginx");
  });
});
