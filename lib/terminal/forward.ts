import type { IncomingMessage } from "node:http";
import { WebSocket } from "ws";

// Forwarding a terminal WebSocket to the replica that holds its shell. The
// browser's handshake is replayed there with its cookie and Origin (a
// script's with its API token), so the owning replica authenticates and
// authorizes it exactly as if the caller had reached it directly; this
// replica only relays the messages.

/** Marks a forwarded handshake: the receiving replica serves it itself and never forwards it again. */
export const FORWARDED_BY = "x-podspace-forwarded-by";
/** A replica that doesn't complete the handshake in this time is taken for dead. */
const HANDSHAKE_TIMEOUT_MS = 5_000;
const FORWARDED_HEADERS = ["cookie", "authorization", "origin", "user-agent"] as const;

export type ForwardResult =
  | { kind: "open"; socket: WebSocket }
  /** The owner answered but refused (e.g. 404: the user lost access meanwhile); the browser gets the same answer. */
  | { kind: "refused"; status: number }
  /** Nobody answered: the owner is gone, and its shells with it. */
  | { kind: "unreachable"; error: string };

export function isForwarded(request: IncomingMessage): boolean {
  return typeof request.headers[FORWARDED_BY] === "string";
}

/** Opens the same terminal WebSocket on the replica at `ownerUrl`. */
export function forwardTerminal(request: IncomingMessage, ownerUrl: string, forwardedBy: string): Promise<ForwardResult> {
  const target = new URL(request.url ?? "/", ownerUrl);
  target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
  const headers: Record<string, string> = { [FORWARDED_BY]: forwardedBy };
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  return new Promise((resolve) => {
    const upstream = new WebSocket(target, { headers, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, followRedirects: false });
    upstream.once("open", () => {
      // Hold the owner's first messages (the replay) until the browser's socket is open.
      upstream.pause();
      resolve({ kind: "open", socket: upstream });
    });
    upstream.once("unexpected-response", (upstreamRequest, response) => {
      const status = response.statusCode ?? 502;
      response.resume();
      upstreamRequest.destroy();
      resolve({ kind: "refused", status: status >= 400 && status < 600 ? status : 502 });
    });
    upstream.once("error", (error) => resolve({ kind: "unreachable", error: error.message }));
  });
}
