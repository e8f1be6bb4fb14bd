import type { Duplex } from "node:stream";
import { createWebSocketStream, type WebSocket } from "ws";
import { PodspaceSocketClosedError } from "./errors";

// One forwarded connection (/workspaces/<id>/ports/<port>/forward) as a
// Node stream: what is written reaches the port in the workspace, what it
// answers is read, with backpressure both ways (ws's stream).

/** Close codes of an ordinary end: either side finished. */
const NORMAL = new Set([1000, 1005]);

/** The socket (opened held: the stream resumes it as it is read) as a Duplex; when the server closes it for a reason (the token was revoked: 4401), the stream errors with a PodspaceSocketClosedError saying so. */
export function forwardStream(socket: WebSocket): Duplex {
  // Registered before the stream's own close listener, which would end it quietly.
  socket.once("close", (code, reason) => {
    if (!NORMAL.has(code)) stream.destroy(new PodspaceSocketClosedError(code, reason.toString() || `the connection closed (${code})`));
  });
  const stream = createWebSocketStream(socket);
  return stream;
}
