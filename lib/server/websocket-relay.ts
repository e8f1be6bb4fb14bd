import { WebSocket, type RawData } from "ws";
import { metrics } from "@/lib/observability/metrics";

// Relays one WebSocket to another, message by message: the IDE proxy
// (browser ↔ code-server), preview URLs (browser ↔ an app in a workspace) and terminal forwarding (browser ↔ the replica
// that holds the shell). Bytes are counted in podspace_proxy_bytes_total.

const HIGH_WATERMARK = 4 * 1024 * 1024;
const LOW_WATERMARK = 1024 * 1024;

export interface RelayOptions {
  /** The metrics channel: what is being relayed (port: a preview URL's app; terminal-forward: between replicas). */
  channel: "ide" | "port" | "terminal-forward";
  /** Runs each of the client's messages, e.g. after its session is checked again. */
  gate?: (forward: () => void) => void;
  onClientMessage?: () => void;
}

/** Close codes that may be sent (1005 and 1006 only describe a close, they can't be sent). */
export function sendableCode(code: number): number {
  if ((code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999)) return code;
  return code === 1005 ? 1000 : 1011;
}

/** Relays messages both ways, pausing a side whose peer isn't reading, and mirrors the close. */
export function relay(client: WebSocket, upstream: WebSocket, options: RelayOptions) {
  const { channel, gate = (forward) => forward(), onClientMessage } = options;
  const forward = (from: WebSocket, to: WebSocket, data: RawData, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary });
    metrics.proxyBytes.inc({ channel, direction: to === upstream ? "upstream" : "downstream" }, byteLength(data));
    if (to.bufferedAmount > HIGH_WATERMARK && !from.isPaused) {
      from.pause();
      const check = setInterval(() => {
        if (to.readyState !== WebSocket.OPEN || to.bufferedAmount < LOW_WATERMARK) {
          clearInterval(check);
          if (from.readyState === WebSocket.OPEN) from.resume();
        }
      }, 20);
    }
  };
  client.on("message", (data, isBinary) => {
    gate(() => {
      onClientMessage?.();
      forward(client, upstream, data, isBinary);
    });
  });
  upstream.on("message", (data, isBinary) => forward(upstream, client, data, isBinary));

  const closeOther = (other: WebSocket) => (code: number, reason: Buffer) => {
    if (other.readyState === WebSocket.OPEN || other.readyState === WebSocket.CONNECTING) other.close(sendableCode(code), reason);
    else other.terminate();
  };
  client.on("close", closeOther(upstream));
  upstream.on("close", closeOther(client));
  client.on("error", () => client.terminate());
  upstream.on("error", () => upstream.terminate());
  upstream.resume();
}

function byteLength(data: RawData): number {
  return Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
}
