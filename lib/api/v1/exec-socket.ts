import { PassThrough } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { WebSocket, type RawData } from "ws";
import type { AuthenticatedToken } from "@/lib/api-tokens/tokens";
import { withAuditVia } from "@/lib/audit";
import { watchAccess } from "@/lib/auth/stream-access";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/observability/logger";
import type { WebSocketRoute } from "@/lib/server/websocket-router";
import type { WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import { ApiError } from "../errors";
import { claimExecSlot } from "../exec-slots";
import { auditedCommand, auditWorkspaceCommand, execOptionsOf, runInWorkspace } from "./exec";
import { execSocketInput, execSocketStart } from "./schemas";
import { authorizeApiUpgrade, refuseApiUpgrade, stillAllowed, TOKEN_REVOKED } from "./socket-auth";

// The exec WebSocket, /api/v1/workspaces/<id>/exec: a command's output as
// it comes, and input as it is typed. Authenticated like the rest of the
// API (./socket-auth.ts: Authorization: Bearer, the exec scope, the token's
// workspaces), all before the upgrade is accepted and anything is read;
// refusals are the API's JSON errors. Then:
//
//   client → {"command":[…], cwd?, env?, stdin?, stdinOpen?, timeoutSeconds?}   (ExecSocketStart)
//   client → {"type":"stdin","data":"…"} … {"type":"eof"}                      (when stdinOpen)
//   server → {"type":"stdout"|"stderr","data":"…"} …                           (UTF-8, characters never split)
//   server → {"type":"exit","exitCode":…,"timedOut":…}, then closes (1000)
//   server → {"type":"error","code":…,"message":…}, then closes (4400, or 4409 when the workspace stopped)
//
// The token is checked again every few seconds: once revoked or expired, or
// its owner loses the workspace, the command is killed and the socket
// closed with 4401.

export const EXEC_SOCKET_PATH = "/api/v1/workspaces/:id/exec";

const CLOSE = { invalid: 4400, conflict: 4409, unavailable: 4503 } as const;
/** Output the client hasn't taken yet beyond this ends the command: nothing holds a command back but its reader. */
const MAX_UNSENT_BYTES = 16 * 2 ** 20;

export function execSocketRoute(): WebSocketRoute {
  return async (request, params) => {
    const workspaceId = params.id ?? "";
    const allowed = await authorizeApiUpgrade(request, workspaceId, "exec");
    if (!allowed) return null;
    const { secret, token, workspace: target } = allowed;
    let release: () => void;
    try {
      release = claimExecSlot(token.id);
    } catch (error) {
      return refuseApiUpgrade(request, error);
    }
    // The client may be gone by now, and then the router never hands over its socket.
    let connected = false;
    request.socket.once("close", () => connected || release());
    return (socket) => {
      connected = true;
      const ended = new AbortController();
      socket.once("close", () => {
        ended.abort();
        release();
      });
      socket.on("error", () => socket.terminate());
      watchAccess({
        allowed: () => stillAllowed(secret, workspaceId, "exec"),
        onRevoked: () => socket.close(TOKEN_REVOKED.code, TOKEN_REVOKED.reason),
        signal: ended.signal,
      });
      socket.once("message", (data) => {
        void withAuditVia(`token ${token.name}`, () => serve(socket, data, token, target, ended.signal)).catch((error: unknown) => {
          logger.error({ err: error, workspaceId }, "an exec over the API failed");
          sendThenClose(socket, { type: "error", code: "internal", message: "Something went wrong on Podspace's side; it was logged." }, CLOSE.unavailable);
        });
      });
    };
  };
}

async function serve(socket: WebSocket, data: RawData, token: AuthenticatedToken, workspace: WorkspaceForRuntime, ended: AbortSignal) {
  const start = execSocketStart.safeParse(parseJson(data));
  if (!start.success) {
    const issue = start.error.issues[0];
    return sendThenClose(socket, { type: "error", code: "invalid", message: `${issue?.path.join(".") || "start message"}: ${issue?.message ?? "invalid"}` }, CLOSE.invalid);
  }
  const input = start.data;
  const stdin = input.stdin !== undefined || input.stdinOpen ? new PassThrough() : undefined;
  if (input.stdin !== undefined) stdin!.write(input.stdin);
  if (!input.stdinOpen) stdin?.end();
  else {
    socket.on("message", (message) => {
      const frame = execSocketInput.safeParse(parseJson(message));
      if (!frame.success || stdin!.writableEnded) return;
      if (frame.data.type === "stdin") stdin!.write(frame.data.data);
      else stdin!.end();
    });
  }

  await auditWorkspaceCommand(token.actor, workspace, "workspace.exec", { command: auditedCommand(input.command) });
  const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
  const kill = new AbortController();
  ended.addEventListener("abort", () => kill.abort(), { once: true });
  const forward = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    const text = decoders[stream].write(chunk);
    if (text) send(socket, { type: stream, data: text });
    if (socket.bufferedAmount > MAX_UNSENT_BYTES) kill.abort();
  };
  try {
    const result = await runInWorkspace(workspace, { ...execOptionsOf(input, stdin), onStdout: forward("stdout"), onStderr: forward("stderr"), signal: kill.signal });
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = decoders[stream].end();
      if (rest) send(socket, { type: stream, data: rest });
    }
    sendThenClose(socket, { type: "exit", exitCode: result.exitCode, timedOut: result.timedOut }, 1000);
  } catch (error) {
    if (!(error instanceof AppError || error instanceof ApiError)) throw error;
    sendThenClose(socket, { type: "error", code: error.code, message: error.message }, error.code === "conflict" ? CLOSE.conflict : CLOSE.unavailable);
  }
}

function parseJson(data: RawData): unknown {
  try {
    return JSON.parse(Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString("utf8"));
  } catch {
    return null;
  }
}

function send(socket: WebSocket, message: object): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function sendThenClose(socket: WebSocket, message: object, code: number): void {
  send(socket, message);
  if (socket.readyState === WebSocket.OPEN) socket.close(code);
}
