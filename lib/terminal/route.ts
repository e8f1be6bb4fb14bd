import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { WebSocket, type RawData } from "ws";
import { authorizeUpgrade, refuseUpgrade, SessionRevalidator } from "@/lib/auth/websocket-auth";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { RuntimeError, type WorkspaceRuntime } from "@/lib/runtime/types";
import type { WebSocketRoute, WebSocketRouter } from "@/lib/server/websocket-router";
import { recordActivity } from "@/lib/workspaces/activity";
import { toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { CLOSE, NOT_RUNNING_REASON, parseClientMessage, SESSION_ID } from "./protocol";
import { TerminalHub, TooManySessionsError, type Attachment, type TerminalClient, type TerminalHubOptions } from "./sessions";

// The terminal WebSocket, /api/workspaces/<id>/terminal?session=<id>: see
// ./protocol.ts for what goes over it and ./sessions.ts for how sessions
// outlive their sockets.

export const TERMINAL_PATH = "/api/workspaces/:id/terminal";

/** Workspace states in which a terminal may be open. */
const CONNECTABLE_STATES = new Set(["RUNNING", "STARTING"]);
/** How often open terminals check that their workspace still runs (another replica may have stopped it). */
const STATE_POLL_MS = 10_000;

export interface TerminalRouteOptions {
  runtime: WorkspaceRuntime;
  hub?: Partial<TerminalHubOptions>;
  revalidateIntervalMs?: number;
  statePollMs?: number;
}

export interface TerminalService {
  route: WebSocketRoute;
  hub: TerminalHub;
  /** Stops watching workspaces and ends every session. */
  close(): void;
}

export function createTerminalService(options: TerminalRouteOptions): TerminalService {
  const { runtime } = options;
  const hub = new TerminalHub({ keepAliveMs: env.PODSPACE_TERMINAL_KEEPALIVE_SECONDS * 1000, ...options.hub });
  const stopped = (workspaceId: string) => hub.closeWorkspace(workspaceId, CLOSE.notRunning, "workspace stopped");

  // This process's runtime reports stops and crashes as they happen…
  const unwatch = runtime.watch((event) => {
    if (event.type === "status" && ["stopped", "failed", "absent"].includes(event.status.state)) stopped(event.workspaceId);
  });
  // …and the database tells about stops done by another replica's reconciler.
  const poll = setInterval(() => {
    const ids = hub.workspaceIds();
    if (ids.length === 0) return;
    void getDb()
      .workspace.findMany({ where: { id: { in: ids } }, select: { id: true, state: true } })
      .then((rows) => {
        const states = new Map(rows.map((row) => [row.id, row.state]));
        for (const id of ids) if (!CONNECTABLE_STATES.has(states.get(id) ?? "DELETED")) stopped(id);
      })
      .catch((error: unknown) => console.error("podspace: checking terminals' workspaces failed", error));
  }, options.statePollMs ?? STATE_POLL_MS).unref();

  const route: WebSocketRoute = async (request, params) => {
    const decision = await authorizeUpgrade(request, params.id);
    if (!decision.ok) return decision.status === 404 ? null : refuseUpgrade(request, decision.status);
    const query = terminalQuery(request);
    if (!query) return refuseUpgrade(request, 400);
    const { user, token, workspace } = decision;

    return (socket) => {
      const revalidator = new SessionRevalidator(socket, token, workspace.id, options.revalidateIntervalMs);
      if (!CONNECTABLE_STATES.has(workspace.state)) {
        socket.close(CLOSE.notRunning, NOT_RUNNING_REASON);
        return;
      }
      // Messages that arrive while the shell is being opened wait for it.
      let attachment: Attachment | null = null;
      const early: [RawData, boolean][] = [];
      let gone = false;

      const handle = (data: RawData, isBinary: boolean) => {
        if (!attachment) return;
        if (isBinary) {
          attachment.write(toBuffer(data));
          recordActivity(workspace.id);
          return;
        }
        const message = parseClientMessage(toBuffer(data).toString("utf8"));
        switch (message?.type) {
          case "resize":
            attachment.resize(message.cols, message.rows);
            return;
          case "pause":
          case "resume":
            attachment.setPaused(message.type === "pause");
            return;
          case "close":
            attachment.end();
            return;
          default:
            // Not a control message we know: ignored.
            return;
        }
      };

      socket.on("message", (data, isBinary) => {
        if (!attachment) {
          early.push([data, isBinary]);
          return;
        }
        revalidator.gate(() => handle(data, isBinary));
      });
      socket.on("close", () => {
        gone = true;
        attachment?.detach();
      });
      socket.on("error", () => socket.terminate());

      hub
        .attach({
          workspaceId: workspace.id,
          userId: user.id,
          sessionId: query.session,
          open: () => runtime.attachTerminal(toRuntimeSpec(workspace), { cols: query.cols, rows: query.rows }),
          client: socketClient(socket),
        })
        .then(
          (attached) => {
            attachment = attached;
            if (gone) {
              attached.detach();
              return;
            }
            for (const [data, isBinary] of early.splice(0)) revalidator.gate(() => handle(data, isBinary));
          },
          (error: unknown) => {
            if (error instanceof RuntimeError && error.code === "not-running") {
              socket.close(CLOSE.notRunning, NOT_RUNNING_REASON);
            } else if (error instanceof TooManySessionsError) {
              socket.close(CLOSE.tooMany, error.message);
            } else {
              console.error(`podspace: opening a terminal in workspace ${workspace.id} failed`, error);
              socket.close(CLOSE.unavailable, closeReason(error instanceof RuntimeError ? error.message : "could not open a terminal"));
            }
          },
        );
    };
  };

  return {
    route,
    hub,
    close() {
      unwatch();
      clearInterval(poll);
      hub.closeAll();
    },
  };
}

/** Registers the terminal WebSocket on `router`; returns the service (its hub, and close for shutdown). */
export function registerTerminalRoute(router: WebSocketRouter, options: TerminalRouteOptions): TerminalService {
  const service = createTerminalService(options);
  router.route(TERMINAL_PATH, service.route);
  return service;
}

function terminalQuery(request: IncomingMessage): { session: string; cols: number; rows: number } | null {
  const search = new URL(request.url ?? "/", "http://localhost").searchParams;
  // No session id: a fresh one, named in the `ready` message.
  const session = search.get("session") ?? randomBytes(12).toString("base64url");
  if (!SESSION_ID.test(session)) return null;
  const size = (name: string, fallback: number) => {
    const value = Number(search.get(name) ?? fallback);
    return Number.isInteger(value) && value >= 1 && value <= 1000 ? value : fallback;
  };
  return { session, cols: size("cols", 80), rows: size("rows", 24) };
}

function socketClient(socket: WebSocket): TerminalClient {
  return {
    send(data) {
      if (socket.readyState === WebSocket.OPEN) socket.send(data, { binary: true });
    },
    sendControl(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    close(code, reason) {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, closeReason(reason));
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Close reasons are limited to 123 bytes. */
function closeReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : `${bytes.subarray(0, 120).toString("utf8").replace(/\uFFFD$/, "")}…`;
}
