import { WebSocket, type RawData } from "ws";
import { CLOSE, type ClientMessage, type ServerMessage } from "../terminal/protocol";
import { PodspaceSocketClosedError } from "./errors";

// A workspace's terminal over the API (/workspaces/<id>/terminal): the
// browser's protocol (lib/terminal/protocol.ts), binary frames for the
// terminal's bytes, JSON text frames for the rest, wrapped so that a script
// writes, resizes and reads without knowing it.

export interface TerminalOptions {
  /** The terminal's size when the shell starts. */
  cols?: number;
  rows?: number;
  /** A session to attach to again (its scrollback is replayed); default a new one, named in `session`. */
  session?: string;
  signal?: AbortSignal;
}

/** How a terminal ended: the shell's exit (code 1000), or why the server closed it (CLOSE in lib/terminal/protocol.ts). */
export interface TerminalEnd {
  /** The WebSocket's close code: 1000 when the shell exited, 4401 when the token lost access, 4409 when the workspace stopped… */
  code: number;
  reason: string;
  /** The shell's exit status, when it exited (null: killed by a signal). */
  exitCode?: number | null;
}

/** The close codes that say the shell ended, not that something went wrong. */
const ENDED = new Set<number>([CLOSE.exited, CLOSE.closed]);

/** An open terminal: the session is attached and the shell runs. */
export class Terminal {
  /** Resolves once the socket has closed, however it ended. */
  readonly ended: Promise<TerminalEnd>;
  #listeners: ((data: Buffer) => void)[] = [];
  /** Output that came before anyone listened (the scrollback replayed right after `ready`). */
  #unread: Buffer[] = [];

  constructor(
    private readonly socket: WebSocket,
    /** The session's id, to attach to it again later. */
    readonly session: string,
    /** Bytes of scrollback replayed on attaching (0 for a new session). */
    readonly replayed: number,
  ) {
    let exitCode: number | null | undefined;
    socket.on("message", (data, isBinary) => {
      if (isBinary) return this.#output(toBuffer(data));
      const message = parseServerMessage(data);
      if (message?.type === "exit") exitCode = message.code;
    });
    // A broken connection closes it too (1006): `ended` says so.
    socket.on("error", () => socket.terminate());
    this.ended = new Promise((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString(), ...(exitCode === undefined ? {} : { exitCode }) })));
  }

  /** Calls `listener` with each piece of the terminal's output (what came before, first). */
  onData(listener: (data: Buffer) => void): void {
    this.#listeners.push(listener);
    for (const data of this.#unread.splice(0)) listener(data);
  }

  /** Types into the terminal: keys, or pasted text (raw bytes: Ctrl-C is "\x03"). */
  write(data: string | Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(typeof data === "string" ? Buffer.from(data) : data, { binary: true });
  }

  resize(cols: number, rows: number): void {
    this.#control({ type: "resize", cols, rows });
  }

  /** Ends the session and its shell. */
  end(): void {
    this.#control({ type: "close" });
  }

  /** Leaves the session running (for a while: the server's keep-alive) and closes the socket. */
  detach(): void {
    this.socket.close(1000);
  }

  #output(data: Buffer): void {
    if (this.#listeners.length === 0) this.#unread.push(data);
    for (const listener of this.#listeners) listener(data);
  }

  #control(message: ClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

/** The query that opens a terminal of `options`' size and session. */
export function terminalQuery({ cols, rows, session }: TerminalOptions): Record<string, string> {
  return Object.fromEntries(Object.entries({ cols, rows, session }).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]])));
}

/** Waits for the server's `ready` on a socket opened held (paused); a socket closed before it (the workspace isn't running, too many terminals) rejects with why. */
export function attachTerminal(socket: WebSocket): Promise<Terminal> {
  return new Promise((resolve, reject) => {
    const closed = (code: number, reason: Buffer) => reject(new PodspaceSocketClosedError(code, reason.toString() || `the terminal closed (${code})`));
    socket.once("close", closed);
    const ready = (data: RawData, isBinary: boolean) => {
      const message = isBinary ? null : parseServerMessage(data);
      if (message?.type !== "ready") return;
      socket.off("message", ready);
      socket.off("close", closed);
      resolve(new Terminal(socket, message.session, message.replayed));
    };
    socket.on("message", ready);
    socket.resume();
  });
}

/** Whether a terminal that ended so ended as it should (its shell exited, or its session was closed). */
export const endedNormally = (end: TerminalEnd) => ENDED.has(end.code);

function parseServerMessage(data: RawData): ServerMessage | null {
  try {
    return JSON.parse(toBuffer(data).toString("utf8")) as ServerMessage;
  } catch {
    return null;
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
