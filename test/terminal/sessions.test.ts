import { describe, expect, it, vi } from "vitest";
import type { TerminalSession } from "@/lib/runtime/types";
import type { ServerMessage } from "@/lib/terminal/protocol";
import { RingBuffer } from "@/lib/terminal/ring-buffer";
import { TerminalHub, type TerminalClient } from "@/lib/terminal/sessions";
import { createActivityRecorder } from "@/lib/workspaces/activity";

// The session hub's rules with a fake shell and fake sockets: keep-alive,
// replay, flow control. The real thing end to end is in terminal.test.ts.

interface FakeShell {
  written: string[];
  paused: boolean;
  closed: boolean;
  size: number[];
  emit(text: string): void;
  exit(code: number | null): void;
  session: TerminalSession;
}

function fakeShell(): FakeShell {
  let onData: (data: Uint8Array) => void = () => {};
  let onExit: (exit: { code: number | null }) => void = () => {};
  const shell: FakeShell = {
    written: [],
    paused: false,
    closed: false,
    size: [80, 24],
    emit: (text) => onData(Buffer.from(text)),
    exit: (code) => onExit({ code }),
    session: {
      write: (data) => void shell.written.push(String(data)),
      resize: (cols, rows) => void (shell.size = [cols, rows]),
      onData: (listener) => void (onData = listener),
      onExit: (listener) => void (onExit = listener),
      pause: () => void (shell.paused = true),
      resume: () => void (shell.paused = false),
      close: () => {
        shell.closed = true;
        onExit({ code: null });
      },
    },
  };
  return shell;
}

interface FakeSocket extends TerminalClient {
  data: string[];
  controls: ServerMessage[];
  closed: { code: number; reason: string } | undefined;
  bufferedAmount: number;
}

function fakeSocket(): FakeSocket {
  const socket: FakeSocket = {
    data: [],
    controls: [],
    closed: undefined,
    bufferedAmount: 0,
    send: (data) => void socket.data.push(Buffer.from(data).toString()),
    sendControl: (message) => void socket.controls.push(message),
    close: (code, reason) => void (socket.closed = { code, reason }),
  };
  return socket;
}

const target = (shell: FakeShell, client: TerminalClient, sessionId = "s1") => ({
  workspaceId: "w1",
  userId: "u1",
  sessionId,
  open: async () => shell.session,
  client,
});

describe("RingBuffer", () => {
  it("keeps the last bytes written, oldest first", () => {
    const ring = new RingBuffer(8);
    ring.append(Buffer.from("abc"));
    expect(ring.snapshot().toString()).toBe("abc");
    ring.append(Buffer.from("defgh"));
    expect(ring.snapshot().toString()).toBe("abcdefgh");
    ring.append(Buffer.from("ij"));
    expect(ring.snapshot().toString()).toBe("cdefghij");
    ring.append(Buffer.from("0123456789"));
    expect(ring.snapshot().toString()).toBe("23456789");
    expect(ring.length).toBe(8);
  });

  it("starts a truncated replay at a character boundary", () => {
    const ring = new RingBuffer(4);
    ring.append(Buffer.from("aé€")); // 61 c3a9 e282ac
    expect(ring.snapshot().toString()).toBe("€");
  });
});

describe("TerminalHub", () => {
  it("opens one shell for concurrent attaches to a new session", async () => {
    const hub = new TerminalHub({ keepAliveMs: 1000 });
    const shell = fakeShell();
    const open = vi.fn(async () => shell.session);
    const [a, b] = await Promise.all([
      hub.attach({ ...target(shell, fakeSocket()), open }),
      hub.attach({ ...target(shell, fakeSocket()), open }),
    ]);
    expect(open).toHaveBeenCalledTimes(1);
    a.write("x");
    b.write("y");
    expect(shell.written).toEqual(["x", "y"]);
  });

  it("keeps a detached session for the keep-alive period, replaying its output, then ends it", async () => {
    vi.useFakeTimers();
    try {
      const hub = new TerminalHub({ keepAliveMs: 5_000 });
      const shell = fakeShell();
      const first = fakeSocket();
      const attachment = await hub.attach(target(shell, first));
      expect(first.controls).toEqual([{ type: "ready", session: "s1", replayed: 0 }]);
      shell.emit("hello\r\n");
      attachment.detach();
      shell.emit("while away\r\n");

      vi.advanceTimersByTime(4_000);
      const second = fakeSocket();
      await hub.attach(target(shell, second));
      expect(second.controls).toEqual([{ type: "ready", session: "s1", replayed: 19 }]);
      expect(second.data.join("")).toBe("hello\r\nwhile away\r\n");

      // Still attached: the keep-alive timer was cancelled.
      vi.advanceTimersByTime(10_000);
      expect(shell.closed).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("ends a session with no socket after the keep-alive period", async () => {
    vi.useFakeTimers();
    try {
      const hub = new TerminalHub({ keepAliveMs: 5_000 });
      const shell = fakeShell();
      const attachment = await hub.attach(target(shell, fakeSocket()));
      attachment.detach();
      vi.advanceTimersByTime(4_999);
      expect(shell.closed).toBe(false);
      vi.advanceTimersByTime(2);
      expect(shell.closed).toBe(true);
      expect(hub.sessions()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("pauses the shell while any socket is over the high watermark and resumes under the low one", async () => {
    vi.useFakeTimers();
    try {
      const hub = new TerminalHub({ keepAliveMs: 5_000, highWatermark: 100, lowWatermark: 10 });
      const shell = fakeShell();
      const fast = fakeSocket();
      const slow = fakeSocket();
      await hub.attach(target(shell, fast));
      await hub.attach(target(shell, slow));
      slow.bufferedAmount = 101;
      shell.emit("x");
      // Sent, and the watermarks looked at, once this turn of the event loop is done.
      vi.advanceTimersByTime(0);
      expect(shell.paused).toBe(true);
      slow.bufferedAmount = 50;
      vi.advanceTimersByTime(100);
      expect(shell.paused).toBe(true);
      slow.bufferedAmount = 5;
      vi.advanceTimersByTime(100);
      expect(shell.paused).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("pauses on a client's own request, and drops a socket that holds the others back too long", async () => {
    vi.useFakeTimers();
    try {
      const hub = new TerminalHub({ keepAliveMs: 5_000, stallTimeoutMs: 1_000 });
      const shell = fakeShell();
      const fast = fakeSocket();
      const stuck = fakeSocket();
      await hub.attach(target(shell, fast));
      const attachment = await hub.attach(target(shell, stuck));
      attachment.setPaused(true);
      expect(shell.paused).toBe(true);
      vi.advanceTimersByTime(1_100);
      expect(stuck.closed?.code).toBe(4408);
      expect(shell.paused).toBe(false);
      expect(fast.closed).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it("sends a turn's first read at once, the rest of the turn as one message, and to a socket attached mid-turn once", async () => {
    const hub = new TerminalHub({ keepAliveMs: 5_000 });
    const shell = fakeShell();
    const first = fakeSocket();
    await hub.attach(target(shell, first));
    shell.emit("a");
    // A keystroke's echo waits for nothing.
    expect(first.data).toEqual(["a"]);
    shell.emit("b");
    shell.emit("c");
    expect(first.data).toEqual(["a"]);
    const second = fakeSocket();
    await hub.attach(target(shell, second));
    shell.emit("d");
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.data).toEqual(["a", "bc", "d"]);
    // "abc" came with the replay, then only what followed.
    expect(second.data).toEqual(["abc", "d"]);
    expect(second.controls[0]).toEqual({ type: "ready", session: "s1", replayed: 3 });
    // A new turn: its first read at once again.
    shell.emit("e");
    expect(first.data.at(-1)).toBe("e");
  });

  it("sends what is left before the exit code when the shell exits", async () => {
    const hub = new TerminalHub({ keepAliveMs: 5_000 });
    const shell = fakeShell();
    const socket = fakeSocket();
    await hub.attach(target(shell, socket));
    shell.emit("bye\r\n");
    shell.exit(0);
    expect(socket.data).toEqual(["bye\r\n"]);
    expect(socket.controls.at(-1)).toEqual({ type: "exit", code: 0 });
  });

  it("tells every socket the exit code and closes them normally when the shell exits", async () => {
    const hub = new TerminalHub({ keepAliveMs: 5_000 });
    const shell = fakeShell();
    const a = fakeSocket();
    const b = fakeSocket();
    await hub.attach(target(shell, a));
    await hub.attach(target(shell, b));
    shell.exit(7);
    for (const socket of [a, b]) {
      expect(socket.controls.at(-1)).toEqual({ type: "exit", code: 7 });
      expect(socket.closed).toEqual({ code: 1000, reason: "process exited with code 7" });
    }
    expect(hub.sessions()).toEqual([]);
  });

  it("closes a workspace's sessions with the given code", async () => {
    const hub = new TerminalHub({ keepAliveMs: 5_000 });
    const shell = fakeShell();
    const socket = fakeSocket();
    await hub.attach(target(shell, socket));
    hub.closeWorkspace("other", 4409, "workspace stopped");
    expect(socket.closed).toBeUndefined();
    hub.closeWorkspace("w1", 4409, "workspace stopped");
    expect(socket.closed).toEqual({ code: 4409, reason: "workspace stopped" });
    expect(shell.closed).toBe(true);
  });

  it("limits the sessions one user opens on a workspace", async () => {
    const hub = new TerminalHub({ keepAliveMs: 5_000, maxSessionsPerWorkspace: 2 });
    await hub.attach(target(fakeShell(), fakeSocket(), "a"));
    await hub.attach(target(fakeShell(), fakeSocket(), "b"));
    await expect(hub.attach(target(fakeShell(), fakeSocket(), "c"))).rejects.toThrow(/at most 2/);
  });
});

describe("activity recording", () => {
  it("writes at most once per interval per workspace, with one trailing write for activity in between", async () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      const recorder = createActivityRecorder({ intervalMs: 30_000, write: async (id) => void writes.push(id) });
      recorder.record("a");
      recorder.record("a");
      recorder.record("b");
      expect(writes).toEqual(["a", "b"]);
      vi.advanceTimersByTime(10_000);
      recorder.record("a");
      expect(writes).toEqual(["a", "b"]);
      vi.advanceTimersByTime(20_000);
      // The trailing write for "a"; "b" had no more activity.
      expect(writes).toEqual(["a", "b", "a"]);
      vi.advanceTimersByTime(30_000);
      expect(writes).toEqual(["a", "b", "a"]);
      vi.advanceTimersByTime(30_000);
      recorder.record("a");
      expect(writes).toEqual(["a", "b", "a", "a"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
