import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

interface Fixture {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

async function startFixture(env: Record<string, string> = {}): Promise<Fixture> {
  const child = spawn("tsx", ["test/fixtures/shutdown-server.ts"], { env: { ...process.env, ...env } });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once("exit", (code) => resolve({ code, at: Date.now() })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    void exited.then(() => reject(new Error(`fixture exited early:\n${output}`)));
  });
  return { child, port, output: () => output, exited };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent: new http.Agent({ keepAlive: true }) }, (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        response.on("error", reject);
      })
      .on("error", reject);
  });
}

describe("graceful shutdown of a real process", () => {
  let fixture: Fixture | undefined;
  afterEach(() => {
    fixture?.child.kill("SIGKILL");
  });

  it("finishes in-flight requests, closes WebSockets with 1001, refuses new work, then exits 0", async () => {
    fixture = await startFixture();
    const { port } = fixture;
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve) => socket.once("open", resolve));
    const closed = new Promise<number>((resolve) => socket.once("close", resolve));
    const inFlight = get(port, "/slow");
    await new Promise((resolve) => setTimeout(resolve, 200));

    const signalledAt = Date.now();
    fixture.child.kill("SIGTERM");

    expect(await closed).toBe(1001);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(get(port, "/")).rejects.toThrow(/ECONNREFUSED/);
    expect(await inFlight).toEqual({ status: 200, body: "finished" });

    const { code, at } = await fixture.exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(10_000);
    expect(fixture.output()).toContain("cleanup ran");
  });

  it("cuts a request that never ends and still exits within the deadline", async () => {
    fixture = await startFixture({ SHUTDOWN_TIMEOUT_MS: "3000" });
    const hanging = get(fixture.port, "/hang").catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signalledAt = Date.now();
    fixture.child.kill("SIGTERM");
    const { code, at } = await fixture.exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeGreaterThanOrEqual(1_000);
    expect(at - signalledAt).toBeLessThan(3_000);
    expect(await hanging).toBeInstanceOf(Error);
  });

  it("exits at the deadline when cleanup doesn't finish", async () => {
    fixture = await startFixture({ SHUTDOWN_TIMEOUT_MS: "3000", CLEANUP_HANGS: "1" });
    const signalledAt = Date.now();
    fixture.child.kill("SIGTERM");
    const { code, at } = await fixture.exited;
    expect(code).toBe(0);
    // Without the deadline it never exits; with it, at about 3 s (what tsx adds to exiting varies with the load).
    expect(at - signalledAt).toBeLessThan(8_000);
    expect(fixture.output()).toContain("cleanup ran");
    expect(fixture.output()).toContain("cleanup did not finish in time");
  });
});
