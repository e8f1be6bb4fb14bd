// The floor of any WebSocket terminal on node-pty, for bench/terminal.ts: a
// `ws` server in a process of its own that relays bytes between each
// connection and a shell of its own (./unsandboxed-shell.ts), and does
// nothing else: no sign-in, no sessions or scrollback, no flow control, no
// metering, no coalescing. What it costs over the raw pty is the WebSocket
// hop and the extra process, which any such terminal has (ttyd, in C, too);
// what Podspace's bridge costs over it is the bridge's own.
//
// Prints one JSON line, {url}, then serves until SIGTERM.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { WebSocketServer } from "ws";
import { unsandboxedShell } from "./unsandboxed-shell";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-relay-"));
const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
server.on("connection", (socket) => {
  const shell = unsandboxedShell(home, { cols: 80, rows: 24 });
  shell.onData((data) => socket.send(data, { binary: true }));
  shell.onExit(() => socket.close());
  socket.on("message", (data) => shell.write(data as Buffer));
  socket.on("close", () => shell.close());
});
server.once("listening", () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ url: `ws://127.0.0.1:${port}` }));
});
process.once("SIGTERM", () => {
  for (const socket of server.clients) socket.terminate();
  server.close();
  fs.rmSync(home, { recursive: true, force: true });
  process.exit(0);
});
