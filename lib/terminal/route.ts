import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { WebSocket, type RawData } from "ws";
import { authorizeUpgrade, refuseUpgrade, sessionRevocation, SessionRevalidator, type Revocation } from "@/lib/auth/websocket-auth";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { logger } from "@/lib/observability/logger";
import { metrics } from "@/lib/observability/metrics";
import { RuntimeError, type WorkspaceRuntime } from "@/lib/runtime/types";
import { currentReplica, type Replica } from "@/lib/server/replica";
import { relay } from "@/lib/server/websocket-relay";
import type { WebSocketRoute } from "@/lib/server/websocket-router";
import { recordActivity } from "@/lib/workspaces/activity";
import { toRuntimeSpec, type WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import { forwardTerminal, isForwarded } from "./forward";
import { CLOSE, NOT_RUNNING_REASON, parseClientMessage, SESSION_ID } from "./protocol";
import { claimSession, releaseSession, sessionOwner, type SessionKey } from "./session-owners";
import { TerminalHub, TooManySessionsError, type Attachment, type TerminalClient, type TerminalHubOptions } from "./sessions";

// The terminal WebSocket, /api/workspaces/<id>/terminal?session=<id>: see
// ./protocol.ts for what goes over it and ./sessions.ts for how sessions
// outlive their sockets. The API serves the same terminal to its tokens
// (lib/api/v1/terminal-socket.ts): only the gate differs, how a caller is
// let in and checked again while the socket is open.
//
// Several replicas: a shell lives in the replica that opened it. Each
// session's holder is recorded in the database (./session-owners.ts); a
// socket that reaches another replica is forwarded to the holder
// (./forward.ts), so a reconnect through a load balancer finds its shell
// wherever it lands. When the holder is gone (it crashed or was replaced),
// its shells went with it: the socket gets a new shell here, and the notice
// below says so instead of a silently empty screen.

/** Written to the terminal when a reconnect finds its shell gone with the replica that held it. */
const LOST_SESSION_NOTICE =
  "\r\n\x1b[33m[podspace] The previous shell ended when the Podspace server holding it went away. This is a new shell.\x1b[0m\r\n";

export const TERMINAL_PATH = "/api/workspaces/:id/terminal";

/** Workspace states in which a terminal may be open. */
const CONNECTABLE_STATES = new Set(["RUNNING", "STARTING"]);
/** How often open terminals check that their workspace still runs (another replica may have stopped it). */
const STATE_POLL_MS = 10_000;

/** Who is opening a terminal, as their gate admitted them. */
export interface TerminalAccess {
  /** Whose shells these are: sessions are kept per user. */
  userId: string;
  workspace: WorkspaceForRuntime;
  /** Asked every few seconds while the socket is open; once it answers why access is gone, the socket is closed with that code and reason. */
  revocation(): Promise<Revocation | null>;
  /** Called once the shell is attached on this replica (not when the socket is relayed to another), e.g. to audit it. */
  opened?(): Promise<void>;
}

/** How one kind of caller is let in (a session cookie, an API token); the terminal behind it is the same. */
export interface TerminalGate {
  /** The caller's access to the workspace, or null once the request was refused (null alone: 404, as for no such workspace). */
  admit(request: IncomingMessage, workspaceId: string | undefined): Promise<TerminalAccess | null>;
  /** Answers a request the gate admitted but the terminal can't serve: a bad session parameter (400), or the status the replica holding its shell refused it with. */
  refuse(request: IncomingMessage, status: number): Promise<null>;
}

/** The browser's gate: Podspace's session cookie, rechecked as the user's right to connect to the workspace. */
const browserGate: TerminalGate = {
  async admit(request, workspaceId) {
    const decision = await authorizeUpgrade(request, workspaceId);
    if (!decision.ok) return decision.status === 404 ? null : refuseUpgrade(request, decision.status);
    const { user, token, workspace } = decision;
    return { userId: user.id, workspace, revocation: () => sessionRevocation(token, "workspace:connect", workspace.id) };
  },
  refuse: (request, status) => refuseUpgrade(request, status),
};

export interface TerminalRouteOptions {
  runtime: WorkspaceRuntime;
  hub?: Partial<TerminalHubOptions>;
  revalidateIntervalMs?: number;
  statePollMs?: number;
  /** Who this process is among the replicas; default currentReplica(). */
  replica?: Replica;
}

export interface TerminalService {
  /** The browser's terminal (./protocol.ts's path), for the signed-in user's session cookie. */
  route: WebSocketRoute;
  /** The same terminal for callers another gate admits (API tokens: lib/api/v1/terminal-socket.ts). */
  routeFor(gate: TerminalGate): WebSocketRoute;
  hub: TerminalHub;
  /** Stops watching workspaces and ends every session. */
  close(): void;
}

export function createTerminalService(options: TerminalRouteOptions): TerminalService {
  const { runtime } = options;
  const replica = options.replica ?? currentReplica();
  const hub = new TerminalHub({
    keepAliveMs: env.PODSPACE_TERMINAL_KEEPALIVE_SECONDS * 1000,
    onSessionEnded: (key) => void releaseSession(key, replica.id).catch((error: unknown) => logger.error({ err: error }, "forgetting a terminal session failed")),
    ...options.hub,
  });
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

  /** The terminal WebSocket for callers `gate` admits; everything past the admission is the same for all of them. */
  const routeFor = (gate: TerminalGate): WebSocketRoute => async (request, params) => {
    const access = await gate.admit(request, params.id);
    if (!access) return null;
    const query = terminalQuery(request);
    if (!query) return gate.refuse(request, 400);
    const { userId, workspace } = access;
    const key: SessionKey = { workspaceId: workspace.id, userId, sessionId: query.session };

    // Held by another replica: relay to it, or learn that it is gone.
    const owner = await sessionOwner(key);
    let lost = false;
    if (owner && owner.replicaId !== replica.id) {
      if (!isForwarded(request)) {
        const forwarded = await forwardTerminal(request, owner.replicaUrl, replica.id);
        if (forwarded.kind === "refused") return gate.refuse(request, forwarded.status);
        if (forwarded.kind === "open") {
          // The browser may be gone by now, and then the router never hands over its socket.
          let connected = false;
          request.socket.once("close", () => connected || forwarded.socket.terminate());
          return (socket) => {
            connected = true;
            metrics.terminalConnections.inc({ served: "forwarded" });
            relay(socket, forwarded.socket, { channel: "terminal-forward" });
          };
        }
        logger.warn({ workspaceId: workspace.id, owner: owner.replicaId, error: forwarded.error }, "terminal session's replica is unreachable; opening a new shell here");
      }
      lost = true;
    }

    return (socket) => {
      metrics.terminalConnections.inc({ served: "local" });
      const revalidator = new SessionRevalidator(socket, access.revocation, options.revalidateIntervalMs);
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
          const input = toBuffer(data);
          metrics.proxyBytes.inc({ channel: "terminal", direction: "upstream" }, input.length);
          attachment.write(input);
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
          userId,
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
            void claimSession(key, replica).catch((error: unknown) => logger.error({ err: error }, "recording a terminal session's replica failed"));
            void access.opened?.().catch((error: unknown) => logger.error({ err: error, workspaceId: workspace.id }, "recording a terminal's opening failed"));
            if (lost) socket.send(Buffer.from(LOST_SESSION_NOTICE), { binary: true });
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
    route: routeFor(browserGate),
    routeFor,
    hub,
    close() {
      unwatch();
      clearInterval(poll);
      hub.closeAll();
    },
  };
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
      if (socket.readyState !== WebSocket.OPEN) return;
      metrics.proxyBytes.inc({ channel: "terminal", direction: "downstream" }, data.length);
      socket.send(data, { binary: true });
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
