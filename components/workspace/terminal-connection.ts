import type { ClientMessage, ServerMessage } from "@/lib/terminal/protocol";

// The browser's side of the terminal WebSocket, without React or xterm.js:
// connects, reconnects by itself with exponential backoff, and tells the
// page what state it is in. See lib/terminal/protocol.ts for the protocol.

export type ConnectionStatus =
  | { kind: "connecting" }
  | { kind: "connected" }
  /** Waiting to try again; `at` is when (ms since the epoch). */
  | { kind: "reconnecting"; at: number }
  | { kind: "exited"; code: number | null }
  | { kind: "not-running" }
  | { kind: "signed-out" }
  /** Still signed in, but no longer allowed in this workspace (removed from the team, a role or access grant taken away). */
  | { kind: "access-lost" }
  /** Ended for good by the server for another reason (the tab was closed elsewhere, too many terminals). */
  | { kind: "ended"; reason: string };

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 10_000;

/** How long to wait before reconnect attempt `attempt` (0-based): doubling from 0.5 s, jittered ±20 %, at most 10 s. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 20));
  return Math.round(Math.min(BACKOFF_CAP_MS, base * (0.8 + 0.4 * random())));
}

/** Output the browser hasn't drawn yet: above this the server is asked to pause, below the low mark to resume. */
const PENDING_HIGH = 1024 * 1024;
const PENDING_LOW = 128 * 1024;
/** Frames stay well under the server's 1 MiB message limit, whatever is pasted. */
const INPUT_CHUNK = 64 * 1024;

export interface TerminalConnectionOptions {
  workspaceId: string;
  sessionId: string;
  /** The terminal's size now, sent when (re)attached. */
  size: () => { cols: number; rows: number };
  onStatus: (status: ConnectionStatus) => void;
  /** The server (re)attached: what follows is the session's scrollback, so clear the screen first. */
  onReady: (replayed: number) => void;
  /** Draw `data` and call `drawn` once it is. */
  onOutput: (data: Uint8Array, drawn: () => void) => void;
}

export class TerminalConnection {
  #socket: WebSocket | null = null;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #final = false;
  #pending = 0;
  #pausedServer = false;
  /** Handshakes that failed in a row before opening: after a few, check whether the user was signed out. */
  #failedOpens = 0;
  readonly #encoder = new TextEncoder();

  constructor(private readonly options: TerminalConnectionOptions) {}

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  /** Closes the socket for good (the component unmounts); the session lives on on the server. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.close(1000, "closed by the page");
    this.#socket = null;
  }

  /** Tries again now, e.g. when the user clicks Reconnect or the browser comes back online. */
  reconnectNow(): void {
    if (this.#stopped) return;
    if (this.#socket && this.#socket.readyState <= WebSocket.OPEN) return;
    clearTimeout(this.#timer);
    this.#final = false;
    this.#attempt = 0;
    this.#connect();
  }

  get waitingToReconnect(): boolean {
    return this.#timer !== undefined && !this.#final;
  }

  /** Keyboard input or a paste; dropped while disconnected (the status says so). */
  input(data: string | Uint8Array): void {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    const bytes = typeof data === "string" ? this.#encoder.encode(data) : data;
    for (let offset = 0; offset < bytes.length; offset += INPUT_CHUNK) socket.send(bytes.subarray(offset, offset + INPUT_CHUNK));
  }

  resize(cols: number, rows: number): void {
    this.#control({ type: "resize", cols, rows });
  }

  /** Ends the session and its shell on the server (the tab is being closed). */
  end(): void {
    this.#control({ type: "close" });
    this.stop();
  }

  #control(message: ClientMessage): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #connect(): void {
    this.#timer = undefined;
    this.options.onStatus({ kind: "connecting" });
    const { cols, rows } = this.options.size();
    const url = new URL(`/api/workspaces/${encodeURIComponent(this.options.workspaceId)}/terminal`, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("session", this.options.sessionId);
    url.searchParams.set("cols", String(cols));
    url.searchParams.set("rows", String(rows));

    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    let opened = false;
    let exit: { code: number | null } | null = null;
    this.#pending = 0;
    this.#pausedServer = false;

    socket.onopen = () => {
      opened = true;
      this.#failedOpens = 0;
    };
    socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      if (socket !== this.#socket) return;
      if (typeof event.data !== "string") {
        this.#output(new Uint8Array(event.data));
        return;
      }
      const message = parseServerMessage(event.data);
      if (message?.type === "ready") {
        this.#attempt = 0;
        this.options.onReady(message.replayed);
        this.options.onStatus({ kind: "connected" });
        const size = this.options.size();
        this.resize(size.cols, size.rows);
      } else if (message?.type === "exit") {
        exit = { code: message.code };
      }
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket || this.#stopped) return;
      this.#socket = null;
      const status = finalStatus(event.code, event.reason, exit);
      if (status) {
        this.#final = true;
        this.options.onStatus(status);
        return;
      }
      if (!opened) this.#failedOpens++;
      // A handshake the server keeps refusing may mean the session cookie is gone (401 isn't visible to scripts).
      if (this.#failedOpens >= 3 && this.#failedOpens % 3 === 0) void this.#checkSignedIn();
      this.#scheduleReconnect();
    };
  }

  async #checkSignedIn(): Promise<void> {
    try {
      const response = await fetch("/api/auth/session", { cache: "no-store" });
      const session: unknown = response.ok ? await response.json() : null;
      if (session === null && !this.#stopped) {
        clearTimeout(this.#timer);
        this.#final = true;
        this.options.onStatus({ kind: "signed-out" });
      }
    } catch {
      // Offline: keep retrying.
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#final) return;
    const delay = backoffDelay(this.#attempt++);
    this.options.onStatus({ kind: "reconnecting", at: Date.now() + delay });
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  /** Draws output, asking the server to hold back while xterm.js has a long backlog (e.g. `cat` of a big file). */
  #output(data: Uint8Array): void {
    const socket = this.#socket;
    this.#pending += data.length;
    this.options.onOutput(data, () => {
      if (socket !== this.#socket) return;
      this.#pending -= data.length;
      if (this.#pausedServer && this.#pending < PENDING_LOW) {
        this.#pausedServer = false;
        this.#control({ type: "resume" });
      }
    });
    if (!this.#pausedServer && this.#pending > PENDING_HIGH) {
      this.#pausedServer = true;
      this.#control({ type: "pause" });
    }
  }
}

function parseServerMessage(text: string): ServerMessage | null {
  try {
    const message = JSON.parse(text) as ServerMessage;
    return typeof message === "object" && message !== null && "type" in message ? message : null;
  } catch {
    return null;
  }
}

/** The status a close leaves the terminal in for good; null when it should reconnect. */
export function finalStatus(code: number, reason: string, exit: { code: number | null } | null): ConnectionStatus | null {
  if (exit) return { kind: "exited", code: exit.code };
  switch (code) {
    case 4401:
      return { kind: "signed-out" };
    case 4403:
      return { kind: "access-lost" };
    case 4409:
      return { kind: "not-running" };
    case 4000:
    case 4429:
      return { kind: "ended", reason: reason || "terminal closed" };
    default:
      // Dropped connections (1006), server restarts (1001, 1012), a slow tab cut off (4408): try again.
      return null;
  }
}
