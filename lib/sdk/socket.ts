import { WebSocket } from "ws";
import { PodspaceApiError } from "./errors";
import type { ApiErrorBody } from "./types";

// Opens one of the API's WebSockets (exec, terminal, port forwarding) with
// the token in the Authorization header, as for a request. `ws`, not the
// global WebSocket: browsers' WebSocket API can't send that header.

/**
 * The open socket, or a PodspaceApiError with the API's JSON answer when the
 * upgrade was refused. `held`: for a protocol where the server speaks first
 * (a terminal's `ready`, a forwarded port's banner), the socket is handed
 * over paused, so that messages that came with the handshake wait until the
 * caller listens and calls resume(): resolving takes a turn of the event
 * loop, in which they would otherwise be emitted to nobody.
 */
export function openApiSocket(url: URL, token: string, signal?: AbortSignal, held = false): Promise<WebSocket> {
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
  return new Promise((resolve, reject) => {
    const abort = () => socket.terminate();
    signal?.addEventListener("abort", abort, { once: true });
    socket.once("open", () => {
      if (held) socket.pause();
      signal?.removeEventListener("abort", abort);
      resolve(socket);
    });
    socket.once("unexpected-response", (_request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => reject(refusal(response.statusCode ?? 0, response.statusMessage ?? "", Buffer.concat(chunks).toString("utf8"), url)));
      response.on("error", reject);
    });
    socket.once("error", (error) => reject(signal?.aborted ? signal.reason : error));
  });
}

function refusal(status: number, statusText: string, body: string, url: URL): PodspaceApiError {
  try {
    const { error } = JSON.parse(body) as ApiErrorBody;
    return new PodspaceApiError(status, error.code, error.message, error.field, error.fields);
  } catch {
    const code = status === 401 ? "unauthenticated" : status === 404 ? "not_found" : "internal";
    return new PodspaceApiError(status, code, `${status} ${statusText} from ${url.origin} (not a Podspace API answer).`);
  }
}
