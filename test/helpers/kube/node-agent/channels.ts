// The kubelet's WebSocket channel framing (k8s.io/apiserver wsstream): every
// binary message starts with one byte naming its channel, followed by the
// channel's bytes. The subprotocol is the first one the client offers that
// the server supports, in the client's order, echoed in the handshake.
import { WebSocket } from "ws";

export function pickProtocol(supported: readonly string[]) {
  return (offered: Set<string>): string | false =>
    [...offered].find((protocol) => supported.includes(protocol)) ?? false;
}

export function sendFrame(ws: WebSocket, channel: number, data: Buffer | string): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(Buffer.concat([Buffer.from([channel]), typeof data === "string" ? Buffer.from(data) : data]));
}

/** Splits an incoming message into its channel and payload; undefined for an empty one. */
export function parseFrame(message: Buffer): { channel: number; data: Buffer } | undefined {
  if (message.length === 0) return undefined;
  return { channel: message[0]!, data: message.subarray(1) };
}
