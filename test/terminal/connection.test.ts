import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, finalStatus, TerminalConnection, type ConnectionStatus } from "@/components/workspace/terminal-connection";

// The browser side of the terminal socket with a fake WebSocket: when it
// reconnects, how long it waits, and when it gives up.

class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeWebSocket[] = [];
  readyState = FakeWebSocket.CONNECTING;
  binaryType = "blob";
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;

  constructor(readonly url: URL) {
    FakeWebSocket.all.push(this);
  }
  send(data: unknown) {
    this.sent.push(typeof data === "string" ? JSON.parse(data) : data);
  }
  close() {
    this.readyState = FakeWebSocket.CLOSED;
  }
  // Test controls:
  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
  }
  receive(data: unknown) {
    this.onmessage?.({ data: typeof data === "string" ? data : data });
  }
  drop(code = 1006, reason = "") {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code, reason });
  }
}

describe("the terminal connection in the browser", () => {
  let statuses: ConnectionStatus[];
  let connection: TerminalConnection;
  const last = () => FakeWebSocket.all.at(-1)!;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeWebSocket.all = [];
    vi.stubGlobal("WebSocket", FakeWebSocket);
    vi.stubGlobal("window", { location: { href: "https://podspace.example.com/workspaces/w1" } });
    vi.stubGlobal("fetch", vi.fn(async () => ({ ok: true, json: async () => ({ user: {} }) })));
    statuses = [];
    connection = new TerminalConnection({
      workspaceId: "w1",
      sessionId: "tab1",
      size: () => ({ cols: 120, rows: 30 }),
      onStatus: (status) => statuses.push(status),
      onReady: () => {},
      onOutput: (_data, drawn) => drawn(),
    });
  });
  afterEach(() => {
    connection.stop();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("connects to the session with the terminal's size, and sends the size again once ready", () => {
    connection.start();
    expect(String(last().url)).toBe("wss://podspace.example.com/api/workspaces/w1/terminal?session=tab1&cols=120&rows=30");
    last().open();
    last().receive(JSON.stringify({ type: "ready", session: "tab1", replayed: 0 }));
    expect(statuses.at(-1)).toEqual({ kind: "connected" });
    expect(last().sent).toEqual([{ type: "resize", cols: 120, rows: 30 }]);
  });

  it("reconnects after a drop with growing delays, capped at 10 s, and resets once connected", () => {
    connection.start();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      const before = FakeWebSocket.all.length;
      last().drop();
      const status = statuses.at(-1)!;
      expect(status.kind).toBe("reconnecting");
      const delay = (status as { at: number }).at - Date.now();
      delays.push(delay);
      vi.advanceTimersByTime(delay);
      expect(FakeWebSocket.all.length).toBe(before + 1);
    }
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(10_000);
    expect(delays.at(-1)).toBeGreaterThanOrEqual(8_000);

    last().open();
    last().receive(JSON.stringify({ type: "ready", session: "tab1", replayed: 10 }));
    last().drop(1001, "server shutting down");
    expect((statuses.at(-1) as { at: number }).at - Date.now()).toBeLessThanOrEqual(600);
  });

  it("stops for good when the shell exits, the workspace stops, the user is signed out or loses access", () => {
    connection.start();
    last().open();
    last().receive(JSON.stringify({ type: "exit", code: 2 }));
    last().drop(1000, "process exited with code 2");
    expect(statuses.at(-1)).toEqual({ kind: "exited", code: 2 });
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);

    connection.reconnectNow();
    last().drop(4409, "workspace is not running");
    expect(statuses.at(-1)).toEqual({ kind: "not-running" });
    connection.reconnectNow();
    last().drop(4401, "signed out");
    expect(statuses.at(-1)).toEqual({ kind: "signed-out" });
    connection.reconnectNow();
    last().drop(4403, "no longer has access to this workspace");
    expect(statuses.at(-1)).toEqual({ kind: "access-lost" });
  });

  it("asks the server to pause while the terminal has a long backlog to draw", () => {
    const pending: (() => void)[] = [];
    connection = new TerminalConnection({
      workspaceId: "w1",
      sessionId: "tab1",
      size: () => ({ cols: 80, rows: 24 }),
      onStatus: () => {},
      onReady: () => {},
      onOutput: (_data, drawn) => pending.push(drawn),
    });
    connection.start();
    last().open();
    for (let i = 0; i < 20; i++) last().receive(new ArrayBuffer(64 * 1024));
    expect(last().sent).toContainEqual({ type: "pause" });
    for (const drawn of pending.splice(0)) drawn();
    expect(last().sent.at(-1)).toEqual({ type: "resume" });
  });

  it("sends input as binary frames no larger than 64 KiB", () => {
    connection.start();
    last().open();
    connection.input("x".repeat(150 * 1024));
    expect(last().sent.map((frame) => (frame as Uint8Array).length)).toEqual([65536, 65536, 22528]);
  });
});

describe("reconnect policy", () => {
  it("doubles from half a second up to 10 s, with jitter", () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(attempt, () => 0.5))).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(backoffDelay(0, () => 0)).toBe(400);
    expect(backoffDelay(10, () => 1)).toBe(10000);
  });

  it("gives up only on closes that retrying can't fix", () => {
    expect(finalStatus(1006, "", null)).toBeNull();
    expect(finalStatus(1001, "server shutting down", null)).toBeNull();
    expect(finalStatus(4408, "too slow", null)).toBeNull();
    expect(finalStatus(4409, "workspace stopped", null)).toEqual({ kind: "not-running" });
    expect(finalStatus(4000, "terminal closed", null)).toEqual({ kind: "ended", reason: "terminal closed" });
  });
});
