// Port-forward as the kubelet serves it over WebSocket: for the i-th
// requested port, channel 2i carries the connection's data and 2i+1 its
// errors, and the first frame the server sends on each is the port number
// (2 bytes, little-endian). Each port gets one TCP connection to localhost
// inside the pod's network namespace (socat run through nsenter, as the
// dockershim did); the WebSocket closes once every connection has ended.
import { spawn } from "node:child_process";
import type { WebSocket } from "ws";
import { parseFrame, sendFrame } from "./channels";
import { inSandbox, SOCAT } from "./sandbox";

/** The kubelet's port-forward subprotocol (no subprotocol at all means the same framing). */
export const PORT_FORWARD_PROTOCOLS = ["v4.channel.k8s.io"];

/** The apiserver passes the client's `ports` on to the kubelet as repeated `port` parameters. */
export function parsePorts(query: URLSearchParams): number[] | string {
  const ports = query.getAll("port").flatMap((value) => value.split(",")).map(Number);
  if (ports.length === 0) return "at least one port must be specified";
  const bad = ports.find((port) => !Number.isInteger(port) || port < 1 || port > 65535);
  return bad === undefined ? ports : `invalid port ${bad}`;
}

export function servePortForward(ws: WebSocket, sandboxPid: number, ports: number[]): void {
  const connections = ports.map((port, i) => {
    const header = Buffer.alloc(2);
    header.writeUInt16LE(port);
    sendFrame(ws, 2 * i, header);
    sendFrame(ws, 2 * i + 1, header);

    const [file, ...args] = inSandbox(sandboxPid, [SOCAT, "-", `TCP:127.0.0.1:${port}`]);
    const child = spawn(file!, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => sendFrame(ws, 2 * i, chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on("error", () => {}); // EPIPE: the connection is gone
    const ended = new Promise<void>((resolve) =>
      child.on("close", (code) => {
        if (code !== 0) {
          const reason = stderr.trim().replace(/^.*? socat\[\d+\] E /, "") || `socat exited with ${code}`;
          sendFrame(ws, 2 * i + 1, `error forwarding port ${port} to pod: ${reason}`);
        }
        resolve();
      }),
    );
    return { child, ended };
  });

  ws.on("message", (message: Buffer, isBinary: boolean) => {
    const frame = isBinary ? parseFrame(message) : undefined;
    const connection = frame && frame.channel % 2 === 0 ? connections[frame.channel / 2] : undefined;
    connection?.child.stdin.write(frame!.data);
  });
  ws.on("close", () => connections.forEach(({ child }) => child.kill("SIGKILL")));
  void Promise.all(connections.map(({ ended }) => ended)).then(() => ws.close(1000));
}
