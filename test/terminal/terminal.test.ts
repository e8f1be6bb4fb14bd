import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { flushActivity } from "@/lib/workspaces/activity";
import { useAppDatabase } from "../helpers/app-database";
import { websocketOutcome } from "../helpers/net";
import { cookieFor, createPeople, ORIGIN, runningWorkspace, signIn, startHarness, TerminalClient, type Harness, type People } from "./harness";

// The terminal WebSocket end to end: a real HTTP server with the route as
// server.ts registers it, real `ws` clients, real shells in a local-runtime
// workspace, real database sessions.

useAppDatabase();

describe("the terminal WebSocket", { timeout: 60_000 }, () => {
  let harness: Harness;
  let people: People;
  let workspace: { id: string };
  let ownerCookie: string;
  const url = (session: string, id = workspace.id) => `${harness.wsBase}/api/workspaces/${id}/terminal?session=${session}`;
  const connect = (session: string, options: { cookie?: string; origin?: string; keepTail?: number } = {}) =>
    new TerminalClient(url(session), { cookie: ownerCookie, ...options });

  beforeAll(async () => {
    harness = await startHarness({ revalidateIntervalMs: 300, hub: { keepAliveMs: 60_000 } });
    people = await createPeople("term");
    workspace = await runningWorkspace(harness, people, "shell");
    ownerCookie = cookieFor(await signIn(people.owner));
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("runs a command: echo $((6*7)) prints 42", async () => {
    const terminal = connect("echo");
    const ready = await terminal.ready();
    expect(ready).toEqual({ type: "ready", session: "echo", replayed: 0 });
    await terminal.run("echo $((6*7))", "42");
    await terminal.close();
  });

  it("replays the scrollback to a socket that reconnects to the session", async () => {
    const first = connect("resume");
    await first.ready();
    await first.run("echo before-$((20+1))", "before-21");
    await first.close();

    const again = connect("resume");
    const ready = await again.ready();
    expect(ready.replayed).toBeGreaterThan(0);
    await again.sees("before-21");
    // The same shell: its state survived the dropped socket.
    await again.run("echo still-$((1+1))", "still-2");
    await again.close();
  });

  it("shares one session between two sockets: both see output, both can type", async () => {
    const a = connect("shared");
    await a.ready();
    const b = connect("shared");
    await b.ready();
    a.type("echo from-a-$((2+3))\r");
    await Promise.all([a.sees("from-a-5"), b.sees("from-a-5")]);
    b.type("echo from-b-$((3+4))\r");
    await Promise.all([a.sees("from-b-7"), b.sees("from-b-7")]);
    expect(harness.terminals.hub.sessions().find((session) => session.id === "shared")?.sockets).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps memory bounded under `yes` with a reader that doesn't read, and Ctrl-C stops it within a second", async () => {
    const terminal = connect("flood", { keepTail: 64 * 1024 });
    await terminal.ready();
    terminal.type("yes\r");
    await terminal.until(() => terminal.received > 1024 * 1024, "yes output");

    // The browser stops reading (a slow network, a busy tab).
    terminal.socket.pause();
    const serverSocket = () => [...harness.router.clients].reduce((max, socket) => Math.max(max, socket.bufferedAmount), 0);
    const before = process.memoryUsage();
    let maxBuffered = 0;
    let maxRss = before.rss;
    let maxBuffers = before.arrayBuffers;
    const sampleUntil = Date.now() + 4_000;
    while (Date.now() < sampleUntil) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const memory = process.memoryUsage();
      maxBuffered = Math.max(maxBuffered, serverSocket());
      maxRss = Math.max(maxRss, memory.rss);
      maxBuffers = Math.max(maxBuffers, memory.arrayBuffers);
    }
    const session = harness.terminals.hub.sessions().find((s) => s.id === "flood")!;
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    console.log(
      `yes with a paused reader for 4 s: server socket buffer peaked at ${mib(maxBuffered)} MiB; ` +
        `RSS ${mib(before.rss)} → max ${mib(maxRss)} MiB; Buffer memory ${mib(before.arrayBuffers)} → max ${mib(maxBuffers)} MiB; paused=${session.paused}`,
    );
    expect(session.paused).toBe(true);
    // The high watermark (1 MiB) plus at most one read from the PTY.
    expect(maxBuffered).toBeLessThan(1.5 * 2 ** 20);
    expect(maxBuffers - before.arrayBuffers).toBeLessThan(8 * 2 ** 20);
    expect(maxRss - before.rss).toBeLessThan(64 * 2 ** 20);

    // Ctrl-C goes through while output is paused; the prompt is back within a second.
    const interruptedAt = Date.now();
    terminal.type("\x03");
    terminal.type("echo stopped-$((40+2))\r");
    terminal.socket.resume();
    await terminal.sees("stopped-42", 5_000);
    const latency = Date.now() - interruptedAt;
    console.log(`Ctrl-C to the next prompt's output, draining the backlog: ${latency} ms`);
    expect(latency).toBeLessThan(1_000);
    expect(harness.terminals.hub.sessions().find((s) => s.id === "flood")?.paused).toBe(false);
    await terminal.close();
  });

  it("reports the shell's exit code, then closes normally", async () => {
    const terminal = connect("exit");
    await terminal.ready();
    terminal.type("exit 3\r");
    const closed = await terminal.closed;
    expect(terminal.controls.at(-1)).toEqual({ type: "exit", code: 3 });
    expect(closed.code).toBe(1000);
    // The session is gone: the same id starts a new shell.
    const fresh = connect("exit");
    expect((await fresh.ready()).replayed).toBe(0);
    await fresh.close();
  });

  it("ignores invalid control messages", async () => {
    const terminal = connect("junk");
    await terminal.ready();
    terminal.control("not json");
    terminal.control({ type: "resize", cols: -4, rows: "x" });
    terminal.control({ type: "explode" });
    terminal.control([1, 2, 3]);
    terminal.control({ type: "resize", cols: 100, rows: 30 });
    await terminal.run("stty size", "30 100");
    await terminal.close();
  });

  it("ends the session on a close message", async () => {
    const terminal = connect("closing");
    await terminal.ready();
    terminal.control({ type: "close" });
    expect((await terminal.closed).code).toBe(4000);
    expect(harness.terminals.hub.sessions().some((s) => s.id === "closing")).toBe(false);
  });

  it("records activity on the workspace when the user types", async () => {
    const terminal = connect("activity");
    await terminal.ready();
    await terminal.run("echo active", "active");
    await flushActivity();
    const row = await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id } });
    expect(row.lastActivityAt).toBeInstanceOf(Date);
    expect(Date.now() - row.lastActivityAt!.getTime()).toBeLessThan(60_000);
    await terminal.close();
  });

  it("refuses a foreign Origin with 403 before upgrading", async () => {
    expect(await websocketOutcome(url("x"), { cookie: ownerCookie, origin: "https://evil.example" })).toBe(403);
    expect(await websocketOutcome(url("x"), { cookie: ownerCookie })).toBe(403);
    expect(await websocketOutcome(url("x"), { cookie: ownerCookie, origin: ORIGIN })).toBe("open");
  });

  it("refuses a handshake without a valid session with 401", async () => {
    expect(await websocketOutcome(url("x"), { origin: ORIGIN })).toBe(401);
    expect(await websocketOutcome(url("x"), { origin: ORIGIN, cookie: cookieFor("forged") })).toBe(401);
    const expired = await signIn(people.owner, -1000);
    expect(await websocketOutcome(url("x"), { origin: ORIGIN, cookie: cookieFor(expired) })).toBe(401);
    // A token in the URL is no way in.
    const token = await signIn(people.owner);
    expect(await websocketOutcome(`${url("x")}&token=${token}&sessionToken=${token}`, { origin: ORIGIN })).toBe(401);
  });

  it("answers 404 for someone else's workspace, a team admin's and a platform admin's without an access grant included, and for unknown ids", async () => {
    for (const user of [people.stranger, people.teamAdmin, people.platformAdmin]) {
      expect(await websocketOutcome(url("x"), { origin: ORIGIN, cookie: cookieFor(await signIn(user)) })).toBe(404);
    }
    expect(await websocketOutcome(url("x", "nosuchworkspace"), { origin: ORIGIN, cookie: ownerCookie })).toBe(404);
  });

  it("refuses an invalid session id with 400", async () => {
    expect(await websocketOutcome(url("bad%20id!"), { origin: ORIGIN, cookie: ownerCookie })).toBe(400);
  });

  it("closes a deactivated user's open socket with 4401 at their next message", async () => {
    const token = await signIn(people.owner);
    const terminal = connect("revoked", { cookie: cookieFor(token) });
    await terminal.ready();
    await terminal.run("echo before", "before");
    await getDb().user.update({ where: { id: people.owner.id }, data: { deactivatedAt: new Date() } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      terminal.type("echo after-$((1+1))\r");
      const closed = await terminal.closed;
      expect(closed).toEqual({ code: 4401, reason: "signed out" });
      expect(terminal.output).not.toMatch(/after-2/);
    } finally {
      await getDb().user.update({ where: { id: people.owner.id }, data: { deactivatedAt: null } });
    }
  });

  it("closes a signed-out session's socket with 4401 at its next message", async () => {
    const token = await signIn(people.owner);
    const terminal = connect("signed-out", { cookie: cookieFor(token) });
    await terminal.ready();
    await getDb().session.delete({ where: { sessionToken: token } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    terminal.control({ type: "resize", cols: 90, rows: 20 });
    expect(await terminal.closed).toEqual({ code: 4401, reason: "signed out" });
  });

  it("refuses to attach to a workspace that isn't running, and closes terminals with 4409 when it stops", async () => {
    const other = await runningWorkspace(harness, people, "stopping");
    const terminal = new TerminalClient(url("s", other.id), { cookie: ownerCookie });
    await terminal.ready();
    await terminal.run("echo up", "up");

    await harness.runtime.stop(other.spec);
    expect(await terminal.closed).toEqual({ code: 4409, reason: "workspace stopped" });
    await getDb().workspace.update({ where: { id: other.id }, data: { state: "STOPPED" } });

    const refused = new TerminalClient(url("s", other.id), { cookie: ownerCookie });
    expect(await refused.closed).toEqual({ code: 4409, reason: "workspace is not running" });
  });

  it("refuses with 4409 when the runtime has no running workspace though the database says RUNNING", async () => {
    const other = await runningWorkspace(harness, people, "crashed");
    await harness.runtime.stop(other.spec);
    await getDb().workspace.update({ where: { id: other.id }, data: { state: "RUNNING" } });
    const refused = new TerminalClient(url("s", other.id), { cookie: ownerCookie });
    expect(await refused.closed).toEqual({ code: 4409, reason: "workspace is not running" });
  });
});
