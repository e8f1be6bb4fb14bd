import { metrics } from "@/lib/observability/metrics";
import type { TerminalSession } from "@/lib/runtime/types";
import { CLOSE, type ServerMessage } from "./protocol";
import { RingBuffer } from "./ring-buffer";

// Resumable terminal sessions. A session owns one shell (a TerminalSession
// from the runtime) and outlives the sockets attached to it: a dropped
// connection or a reloaded page attaches again and gets the scrollback
// replayed, the shell and whatever runs in it untouched. Several sockets may
// attach at once (two browser tabs): all see the output, all may type.
//
// Flow control: output is sent to every socket as it comes. When any socket
// has more than `highWatermark` bytes queued (it reads slower than the shell
// writes, e.g. `yes` or `cat` of a large file), the shell's output is paused,
// so the kernel's PTY buffer holds the program back instead of this process's
// memory growing; it resumes once every socket is below `lowWatermark`.
// Input always goes through, so Ctrl-C stops a runaway program at once.
//
// Output is coalesced: the pty hands over at most 4 KiB per read, and on a
// busy machine several reads arrive in one turn of the event loop. The
// turn's first read is sent at once, so a keystroke's echo waits for
// nothing; the reads after it in the same turn are sent as one WebSocket
// message once that turn's I/O is done (setImmediate), which saves a frame
// and a write per read on both ends. (On an idle machine each turn has one
// read; gathering a flood's reads for longer didn't make it faster:
// bench/README.md.)

/** A socket as a session sees it. */
export interface TerminalClient {
  send(data: Uint8Array): void;
  sendControl(message: ServerMessage): void;
  close(code: number, reason: string): void;
  /** Bytes queued for this client that the network hasn't taken yet. */
  readonly bufferedAmount: number;
}

export interface TerminalHubOptions {
  /** How long a session with no socket attached keeps its shell. */
  keepAliveMs: number;
  scrollbackBytes?: number;
  highWatermark?: number;
  lowWatermark?: number;
  /** A socket that holds the others back this long is dropped (it may reattach). */
  stallTimeoutMs?: number;
  /** Sessions one user may have open on one workspace. */
  maxSessionsPerWorkspace?: number;
  /** Called once when a session's shell is gone (exited, closed, or kept alive in vain). */
  onSessionEnded?: (session: { workspaceId: string; userId: string; sessionId: string }) => void;
}

export const SCROLLBACK_BYTES = 256 * 1024;
export const HIGH_WATERMARK = 1024 * 1024;
export const LOW_WATERMARK = 256 * 1024;
const FLOW_POLL_MS = 20;

export class TooManySessionsError extends Error {
  override name = "TooManySessionsError";
}

/** One socket's handle on its session. */
export interface Attachment {
  readonly sessionId: string;
  /** Bytes of scrollback replayed to this socket when it attached. */
  readonly replayed: number;
  write(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** The client's own backlog is long (or short again): hold output back for everyone until it catches up. */
  setPaused(paused: boolean): void;
  /** Ends the session and its shell for every socket. */
  end(): void;
  /** This socket went away; the session lives on for the keep-alive period. */
  detach(): void;
}

interface Attached {
  client: TerminalClient;
  replayed: number;
  requestedPause: boolean;
  /** Since when this client has been holding output back, if it is. */
  blockingSince?: number;
}

class ResumableSession {
  readonly attached = new Set<Attached>();
  readonly scrollback: RingBuffer;
  #paused = false;
  #flowTimer?: NodeJS.Timeout;
  #keepAliveTimer?: NodeJS.Timeout;
  /** Output read from the shell in this turn of the event loop after its first read, not yet sent (see #flush). */
  #unsent: Uint8Array[] = [];
  /** The turn's first read has been sent: later ones wait for the turn's end. */
  #gathering = false;
  #ended = false;

  constructor(
    readonly key: string,
    readonly workspaceId: string,
    readonly userId: string,
    readonly id: string,
    readonly terminal: TerminalSession,
    private readonly options: Required<TerminalHubOptions>,
    private readonly onEnded: (session: ResumableSession) => void,
  ) {
    this.scrollback = new RingBuffer(options.scrollbackBytes);
    metrics.terminalSessions.inc();
    terminal.onData((data) => this.#output(data));
    terminal.onExit(({ code }) => {
      this.#flush();
      for (const { client } of this.attached) {
        client.sendControl({ type: "exit", code });
        client.close(CLOSE.exited, code === null ? "process exited" : `process exited with code ${code}`);
      }
      this.#finish();
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  get paused(): boolean {
    return this.#paused;
  }

  attach(client: TerminalClient): Attached {
    clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = undefined;
    // What the others haven't been sent yet is in the scrollback: send it to them first, so that the newcomer gets it once.
    this.#flush();
    const replay = this.scrollback.snapshot();
    const entry: Attached = { client, requestedPause: false, replayed: replay.length };
    client.sendControl({ type: "ready", session: this.id, replayed: replay.length });
    if (replay.length > 0) client.send(replay);
    this.attached.add(entry);
    this.#checkFlow();
    return entry;
  }

  detach(entry: Attached): void {
    if (!this.attached.delete(entry) || this.#ended) return;
    this.#checkFlow();
    if (this.attached.size === 0) {
      this.#keepAliveTimer = setTimeout(() => this.end(), this.options.keepAliveMs).unref();
    }
  }

  /** Closes every socket with `code` and ends the shell. */
  end(code: number = CLOSE.closed, reason = "terminal closed"): void {
    if (this.#ended) return;
    this.#flush();
    for (const { client } of this.attached) client.close(code, reason);
    this.#finish();
    this.terminal.close();
  }

  setPaused(entry: Attached, paused: boolean): void {
    entry.requestedPause = paused;
    this.#checkFlow();
  }

  #output(data: Uint8Array): void {
    if (this.#ended) return;
    this.scrollback.append(data);
    if (this.#gathering) {
      this.#unsent.push(data);
      return;
    }
    // The turn's first read goes out at once (a keystroke's echo waits for nothing); reads after it in the same turn are gathered.
    this.#gathering = true;
    setImmediate(() => {
      this.#gathering = false;
      this.#flush();
    });
    this.#send(data);
  }

  /** Sends the output gathered since the last flush as one message to every socket. */
  #flush(): void {
    if (this.#unsent.length === 0) return;
    const data = this.#unsent.length === 1 ? this.#unsent[0]! : Buffer.concat(this.#unsent);
    this.#unsent = [];
    if (this.#ended) return;
    this.#send(data);
  }

  #send(data: Uint8Array): void {
    for (const { client } of this.attached) client.send(data);
    if (!this.#paused) this.#checkFlow();
  }

  /** Pauses the shell's output while any socket is over the high watermark; resumes when all are under the low one. */
  #checkFlow(): void {
    if (this.#ended) return;
    const now = Date.now();
    const limit = this.#paused ? this.options.lowWatermark : this.options.highWatermark;
    let blocked = false;
    for (const entry of this.attached) {
      const blocking = entry.requestedPause || entry.client.bufferedAmount > limit;
      if (!blocking) {
        entry.blockingSince = undefined;
        continue;
      }
      entry.blockingSince ??= now;
      if (this.attached.size > 1 && now - entry.blockingSince > this.options.stallTimeoutMs) {
        // Don't let one stuck tab freeze the terminal in the others; it can reattach.
        this.attached.delete(entry);
        entry.client.close(CLOSE.tooSlow, "terminal output not read in time");
        continue;
      }
      blocked = true;
    }
    if (blocked && !this.#paused) {
      this.#paused = true;
      this.terminal.pause();
      this.#flowTimer = setInterval(() => this.#checkFlow(), FLOW_POLL_MS).unref();
    } else if (!blocked && this.#paused) {
      this.#paused = false;
      clearInterval(this.#flowTimer);
      this.#flowTimer = undefined;
      this.terminal.resume();
    }
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    metrics.terminalSessions.dec();
    clearTimeout(this.#keepAliveTimer);
    clearInterval(this.#flowTimer);
    this.attached.clear();
    this.onEnded(this);
  }
}

/** Every resumable terminal session of this process, keyed by workspace, user and session id. */
export class TerminalHub {
  readonly #sessions = new Map<string, ResumableSession>();
  readonly #opening = new Map<string, Promise<ResumableSession>>();
  readonly #options: Required<TerminalHubOptions>;

  constructor(options: TerminalHubOptions) {
    this.#options = {
      scrollbackBytes: SCROLLBACK_BYTES,
      highWatermark: HIGH_WATERMARK,
      lowWatermark: LOW_WATERMARK,
      stallTimeoutMs: 30_000,
      maxSessionsPerWorkspace: 32,
      onSessionEnded: () => {},
      ...options,
    };
  }

  /**
   * Attaches `client` to the session, opening its shell with `open` when the
   * session doesn't exist (yet). Concurrent attaches to a new session share
   * one shell.
   */
  async attach(target: {
    workspaceId: string;
    userId: string;
    sessionId: string;
    open: () => Promise<TerminalSession>;
    client: TerminalClient;
  }): Promise<Attachment> {
    const key = [target.workspaceId, target.userId, target.sessionId].join("\0");
    const session = await this.#session(key, target);
    const entry = session.attach(target.client);
    return {
      sessionId: session.id,
      replayed: entry.replayed,
      write: (data) => {
        if (!session.ended) session.terminal.write(data);
      },
      resize: (cols, rows) => {
        if (!session.ended) session.terminal.resize(cols, rows);
      },
      setPaused: (paused) => session.setPaused(entry, paused),
      end: () => session.end(),
      detach: () => session.detach(entry),
    };
  }

  async #session(key: string, target: { workspaceId: string; userId: string; sessionId: string; open: () => Promise<TerminalSession> }) {
    const existing = this.#sessions.get(key);
    if (existing && !existing.ended) return existing;
    let opening = this.#opening.get(key);
    if (!opening) {
      const open = async () => {
        const count = [...this.#sessions.values()].filter((s) => s.workspaceId === target.workspaceId && s.userId === target.userId).length;
        if (count >= this.#options.maxSessionsPerWorkspace) {
          throw new TooManySessionsError(`at most ${this.#options.maxSessionsPerWorkspace} terminals per workspace`);
        }
        const terminal = await target.open();
        const session = new ResumableSession(key, target.workspaceId, target.userId, target.sessionId, terminal, this.#options, (ended) => {
          if (this.#sessions.get(ended.key) === ended) this.#sessions.delete(ended.key);
          this.#options.onSessionEnded({ workspaceId: ended.workspaceId, userId: ended.userId, sessionId: ended.id });
        });
        this.#sessions.set(key, session);
        return session;
      };
      opening = open().finally(() => this.#opening.delete(key));
      this.#opening.set(key, opening);
    }
    return opening;
  }

  /** Workspaces with at least one session. */
  workspaceIds(): string[] {
    return [...new Set([...this.#sessions.values()].map((session) => session.workspaceId))];
  }

  /** For tests and diagnostics. */
  sessions(): { workspaceId: string; id: string; sockets: number; paused: boolean; scrollback: number }[] {
    return [...this.#sessions.values()].map((s) => ({
      workspaceId: s.workspaceId,
      id: s.id,
      sockets: s.attached.size,
      paused: s.paused,
      scrollback: s.scrollback.length,
    }));
  }

  /** Ends every session of a workspace, closing its sockets with `code` (e.g. when the workspace stops). */
  closeWorkspace(workspaceId: string, code: number, reason: string): void {
    for (const session of [...this.#sessions.values()]) {
      if (session.workspaceId === workspaceId) session.end(code, reason);
    }
  }

  closeAll(code = 1001, reason = "server shutting down"): void {
    for (const session of [...this.#sessions.values()]) session.end(code, reason);
  }
}
