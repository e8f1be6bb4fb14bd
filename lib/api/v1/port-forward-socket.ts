import type { Duplex } from "node:stream";
import { createWebSocketStream, type WebSocket } from "ws";
import { watchAccess } from "@/lib/auth/stream-access";
import { AppError } from "@/lib/errors";
import { metrics } from "@/lib/observability/metrics";
import { RuntimeError, type WorkspaceRuntime } from "@/lib/runtime/types";
import { portField } from "@/lib/schemas/ports";
import type { WebSocketRoute } from "@/lib/server/websocket-router";
import { recordActivity } from "@/lib/workspaces/activity";
import { toRuntimeSpec, type WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import { ApiError } from "../errors";
import { authorizeApiUpgrade, refuseApiUpgrade, stillAllowed, TOKEN_REVOKED } from "./socket-auth";

// Port forwarding, /api/v1/workspaces/<id>/ports/<port>/forward (what
// `podspace port-forward` opens for each connection it accepts): one TCP
// connection to a port inside the workspace, its bytes relayed both ways as
// binary messages. The exec scope, as for a shell: it reaches whatever
// listens in the workspace. The connection is made before the upgrade is
// accepted, so "nothing listens there" is a refusal with the API's JSON
// error (409), not a socket that opens and closes at once. Either side
// ending ends both; the token is checked again every few seconds, and once
// revoked the socket closes (4401).

export const PORT_FORWARD_PATH = "/api/v1/workspaces/:id/ports/:port/forward";

export function portForwardRoute({ runtime }: { runtime: WorkspaceRuntime }): WebSocketRoute {
  return async (request, params) => {
    const workspaceId = params.id ?? "";
    const allowed = await authorizeApiUpgrade(request, workspaceId, "exec");
    if (!allowed) return null;
    const port = portField.safeParse(params.port);
    if (!port.success) return refuseApiUpgrade(request, new AppError("invalid", "The port must be a number from 1 to 65535.", "port"));
    const { secret, workspace } = allowed;
    let upstream: Duplex;
    try {
      upstream = await (await runtime.portTarget(toRuntimeSpec(workspace), port.data)).connect();
    } catch (error) {
      return refuseApiUpgrade(request, unreachable(error, workspace, port.data));
    }
    upstream.on("error", () => upstream.destroy());
    // The client may be gone by now (or go before the upgrade), and then the router never hands over its socket.
    if (request.socket.destroyed) {
      upstream.destroy();
      return null;
    }
    let connected = false;
    request.socket.once("close", () => connected || upstream.destroy());
    return (socket) => {
      connected = true;
      const ended = new AbortController();
      socket.once("close", () => ended.abort());
      watchAccess({
        allowed: () => stillAllowed(secret, workspaceId, "exec"),
        onRevoked: () => socket.close(TOKEN_REVOKED.code, TOKEN_REVOKED.reason),
        signal: ended.signal,
      });
      socket.on("message", (data: Buffer) => {
        metrics.proxyBytes.inc({ channel: "port-forward", direction: "upstream" }, data.length);
        recordActivity(workspace.id);
      });
      upstream.on("data", (data: Buffer) => metrics.proxyBytes.inc({ channel: "port-forward", direction: "downstream" }, data.length));
      splice(socket, upstream);
    };
  };
}

/**
 * Bytes both ways, each side held back while the other isn't taking them
 * (ws's stream waits for each message to be written before taking more).
 * The workspace's side ending closes the socket; the socket closing ends
 * the connection once what it delivered is written.
 */
function splice(socket: WebSocket, upstream: Duplex): void {
  const stream = createWebSocketStream(socket);
  stream.on("error", () => upstream.destroy());
  upstream.on("error", () => socket.terminate());
  upstream.once("finish", () => upstream.destroy());
  stream.pipe(upstream);
  upstream.pipe(stream);
}

function unreachable(error: unknown, workspace: WorkspaceForRuntime, port: number): unknown {
  if (!(error instanceof RuntimeError)) return error;
  if (error.code === "not-listening") return new AppError("conflict", `Nothing is listening on port ${port} in ${workspace.name}.`);
  if (error.code === "not-running") return new AppError("conflict", `Workspace ${workspace.name} is not running; start it first.`);
  return new ApiError("unavailable", error.message, { "Retry-After": "5" });
}
