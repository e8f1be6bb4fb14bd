// Terminal benchmark: the same shell workloads, side by side, through
//
//   raw pty   node-pty bash spawned in this process: the floor
//   Podspace  a `ws` client -> Podspace's terminal WebSocket bridge (lib/terminal,
//             in a server process of its own: bench/terminal-bridge-server.ts)
//             -> node-pty bash in a local-runtime workspace
//   ttyd      a `ws` client -> ttyd (the C web terminal: libwebsockets + libuv)
//             -> its bash; built by scripts/bench/build-ttyd.sh when missing
//
// Per target:
//   throughput  `head -c 50000000 /dev/zero | tr '\0' x` and a sentinel: MB/s
//               of output the client received, from sending the command to
//               seeing the sentinel (BENCH_THROUGHPUT_RUNS runs after a 5 MB warm-up)
//   echo        one keystroke at a time typed into `cat` (the tty echoes it):
//               send -> echoed byte received, p50/p95/p99 (BENCH_KEYSTROKES)
//
//   npm run bench -- terminal
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import * as pty from "node-pty";
import { WebSocket } from "ws";
import { freePort } from "../test/helpers/net";
import { summarize, type Summary } from "./stats";

const THROUGHPUT_BYTES = Number(process.env.BENCH_THROUGHPUT_BYTES ?? 50_000_000);
const THROUGHPUT_RUNS = Number(process.env.BENCH_THROUGHPUT_RUNS ?? 3);
const KEYSTROKES = Number(process.env.BENCH_KEYSTROKES ?? 500);
const WARMUP_KEYSTROKES = 20;
const STALL_MS = 30_000;
/** Pause between keystrokes, like (very fast) typing: each is measured on an idle terminal. */
const KEYSTROKE_GAP_MS = 5;
const CACHE_ROOT = process.env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace");
const TTYD_BIN = path.join(CACHE_ROOT, "ttyd", "ttyd");
const BUILD_TTYD = path.resolve(import.meta.dirname, "../scripts/bench/build-ttyd.sh");
const BRIDGE_SERVER = path.resolve(import.meta.dirname, "terminal-bridge-server.ts");

/** A terminal as the benchmark drives it: bytes in, bytes out. */
interface Target {
  send(data: string): void;
  /** Every output chunk (terminal bytes only, protocol framing removed). */
  onData(listener: (chunk: Buffer) => void): () => void;
  close(): Promise<void>;
}

export async function benchTerminal(): Promise<Record<string, Summary>> {
  const results: [string, Measured][] = [];
  results.push(["raw pty (node-pty)", await measure(rawPty)]);
  results.push(["Podspace bridge", await measureBridge()]);
  const ttyd = ensureTtyd();
  results.push([ttyd.ok ? ttyd.name : "ttyd", ttyd.ok ? await measure(() => ttydTarget(ttyd.bin)) : failed(ttyd.reason)]);

  // Each measure for the three targets together: the comparison is the point.
  const rows: Record<string, Summary> = {};
  for (const [name, { throughput }] of results) {
    rows[`throughput ${THROUGHPUT_BYTES / 1e6} MB, ${name}`] =
      "error" in throughput
        ? { kind: "unavailable", reason: throughput.error }
        : {
            kind: "throughput",
            runs: throughput.runs,
            bytes: THROUGHPUT_BYTES,
            note: throughput.stalled > 0 ? `${throughput.stalled} more stalled: no output for ${STALL_MS / 1000} s` : undefined,
          };
  }
  for (const [name, { echo }] of results) {
    rows[`keystroke echo n=${KEYSTROKES}, ${name}`] = "error" in echo ? { kind: "unavailable", reason: echo.error } : summarize(echo);
  }
  return rows;
}

type Measured = { throughput: { runs: number[]; stalled: number } | { error: string }; echo: number[] | { error: string } };

const failed = (error: string): Measured => ({ throughput: { error }, echo: { error } });

/**
 * Throughput, each run on a fresh terminal (a run that stalls can't take the
 * next ones down with it), then echo latency on another fresh one. A stall is
 * counted and reported with the runs that completed; any other error makes
 * the row unavailable.
 */
async function measure(open: () => Promise<Target>): Promise<Measured> {
  const runs: number[] = [];
  let stalled = 0;
  for (let run = 0; run < THROUGHPUT_RUNS; run++) {
    const result = await withTarget(open, async (target) => {
      // Warm-up (JIT, page cache, socket buffers), not counted.
      await measureThroughput(target, 99, Math.min(THROUGHPUT_BYTES, 5_000_000));
      return measureThroughput(target, run);
    });
    if (typeof result === "number") runs.push(result);
    else if (result.stalled) stalled++;
    else return { throughput: result, echo: await withTarget(open, measureEcho) };
  }
  const throughput = runs.length > 0 ? { runs, stalled } : { error: `all ${stalled} runs stalled (no output for ${STALL_MS / 1000} s)` };
  return { throughput, echo: await withTarget(open, measureEcho) };
}

async function withTarget<T>(open: () => Promise<Target>, run: (target: Target) => Promise<T>): Promise<T | { error: string; stalled: boolean }> {
  let target: Target | undefined;
  try {
    target = await open();
    await waitForShell(target);
    return await run(target);
  } catch (error) {
    console.error(`[bench terminal] ${error instanceof Error ? error.message : String(error)}`);
    return { error: error instanceof Error ? error.message : String(error), stalled: error instanceof Stalled };
  } finally {
    await target?.close();
  }
}

// --- workloads ---

/** The terminal stopped sending output mid-transfer and never resumed. */
class Stalled extends Error {}

/** Resolves once `needle` appears in the output after this call (matches may span chunks). */
function waitFor(target: Target, needle: string, timeoutMs: number, onChunk?: (chunk: Buffer) => void): Promise<void> {
  const pattern = Buffer.from(needle);
  return new Promise((resolve, reject) => {
    let tail = Buffer.alloc(0);
    let chunks = 0;
    const fail = (why: string, kind: new (message: string) => Error = Error) => {
      clearTimeout(timer);
      clearInterval(stallCheck);
      off();
      reject(new kind(`${why} waiting for ${JSON.stringify(needle)} (${chunks} chunks received); last output: ${JSON.stringify(tail.toString("latin1").slice(-80))}`));
    };
    const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
    // Output that stops for this long while a transfer runs is a stall, not slowness.
    let lastChunkAt = performance.now();
    const stallCheck = setInterval(() => {
      if (performance.now() - lastChunkAt > STALL_MS) fail(`output stalled (nothing for ${STALL_MS / 1000} s)`, Stalled);
    }, 1000);
    const off = target.onData((chunk) => {
      lastChunkAt = performance.now();
      chunks++;
      onChunk?.(chunk);
      const window = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      if (window.includes(pattern)) {
        clearTimeout(timer);
        clearInterval(stallCheck);
        off();
        resolve();
        return;
      }
      tail = Buffer.from(window.subarray(Math.max(0, window.length - 256)));
    });
  });
}

async function waitForShell(target: Target): Promise<void> {
  // The arithmetic is expanded by the shell: the typed command's echo can't match.
  const seen = waitFor(target, "READY_42", 30_000);
  target.send("echo READY_$((6*7))\r");
  await seen;
}

async function measureThroughput(target: Target, run: number, bytes = THROUGHPUT_BYTES): Promise<number> {
  const sentinel = `DONE_${run}_${1000 + run * 7}`;
  let received = 0;
  const done = waitFor(target, sentinel, 300_000, (chunk) => (received += chunk.length));
  const startedAt = performance.now();
  target.send(`head -c ${bytes} /dev/zero | tr '\\0' x; echo; echo DONE_${run}_$((1000+${run}*7))\r`);
  await done;
  const seconds = (performance.now() - startedAt) / 1000;
  if (received < bytes) throw new Error(`received only ${received} of ${bytes} bytes`);
  return received / 1e6 / seconds;
}

async function measureEcho(target: Target): Promise<number[]> {
  const started = waitFor(target, "CAT_77", 10_000);
  // `cat` reads lines; the tty (canonical mode, ECHO) echoes each key as it is typed.
  target.send("echo CAT_$((7*11)); cat\r");
  await started;
  await sleep(300);
  const samples: number[] = [];
  for (let i = 0; i < WARMUP_KEYSTROKES + KEYSTROKES; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const echoed = waitFor(target, key, 10_000);
    const sentAt = performance.now();
    target.send(key);
    await echoed;
    if (i >= WARMUP_KEYSTROKES) samples.push(performance.now() - sentAt);
    await sleep(KEYSTROKE_GAP_MS);
  }
  // Ends `cat`, back to the prompt.
  const back = waitFor(target, "BACK_9", 10_000);
  target.send("\x03");
  await sleep(100);
  target.send("echo BACK_$((3*3))\r");
  await back;
  return samples;
}

// --- targets ---

async function rawPty(): Promise<Target> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-pty-"));
  const shell = pty.spawn("/bin/bash", ["-l"], {
    name: "xterm-256color",
    cols: 80,
    rows: 24,
    cwd: home,
    env: { HOME: home, PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm-256color", LANG: "C.UTF-8" },
    encoding: null,
  });
  const listeners = new Set<(chunk: Buffer) => void>();
  shell.onData((data) => {
    const chunk = data as unknown as Buffer;
    for (const listener of listeners) listener(chunk);
  });
  const exited = new Promise<void>((resolve) => shell.onExit(() => resolve()));
  return {
    send: (data) => shell.write(data),
    onData: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    async close() {
      shell.kill("SIGHUP");
      await Promise.race([exited, sleep(2000)]);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Podspace's bridge in its own server process, on a throwaway data dir and embedded database. */
async function measureBridge(): Promise<Measured> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-"));
  // Nothing from the developer's shell: the embedded database in dataDir, the demo sign-in.
  const serverEnv: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", PODSPACE_DATA_DIR: dataDir };
  delete serverEnv.DATABASE_URL;
  delete serverEnv.PODSPACE_OIDC_PROVIDERS;
  const server = spawn("tsx", [BRIDGE_SERVER], {
    env: serverEnv,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  try {
    const bridge = await new Promise<{ url: string; cookie: string; origin: string }>((resolve, reject) => {
      // Migrating a fresh embedded database and starting a workspace: slow on a busy machine.
      const timer = setTimeout(() => reject(new Error("the bridge server did not start in 180 s")), 180_000);
      void exited.then(() => reject(new Error(`the bridge server exited with ${server.exitCode} before it was ready`)));
      readline.createInterface({ input: server.stdout! }).once("line", (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { url: string; cookie: string; origin: string });
      });
    });
    let sessions = 0;
    return await measure(async () => {
      // A session of its own per connection: the previous one is still closing.
      const socket = new WebSocket(`${bridge.url}?session=bench-${sessions++}&cols=80&rows=24`, { headers: { cookie: bridge.cookie }, origin: bridge.origin });
      const target = webSocketTarget(socket, (data, isBinary) => (isBinary ? data : null));
      // The `ready` control message comes first: the shell is attached.
      await new Promise<void>((resolve, reject) => {
        socket.once("unexpected-response", (_request, response) => reject(new Error(`bridge refused the WebSocket with ${response.statusCode}`)));
        socket.once("error", reject);
        socket.on("message", (data, isBinary) => {
          if (!isBinary && (JSON.parse(String(data)) as { type: string }).type === "ready") resolve();
        });
      });
      return {
        send: (data) => socket.send(Buffer.from(data), { binary: true }),
        onData: target.onData,
        async close() {
          // Ends the session and its shell, then the socket.
          if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "close" }));
          await target.close();
        },
      };
    });
  } catch (error) {
    return failed(error instanceof Error ? error.message : String(error));
  } finally {
    server.kill("SIGTERM");
    await Promise.race([exited, sleep(10_000)]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Output from a socket, after `unframe` (null: not terminal output). */
function webSocketTarget(socket: WebSocket, unframe: (data: Buffer, isBinary: boolean) => Buffer | null) {
  const listeners = new Set<(chunk: Buffer) => void>();
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("message", (data, isBinary) => {
    const chunk = unframe(data as Buffer, isBinary);
    if (chunk && chunk.length) for (const listener of listeners) listener(chunk);
  });
  return {
    onData: (listener: (chunk: Buffer) => void) => (listeners.add(listener), () => void listeners.delete(listener)),
    async close() {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close();
      await Promise.race([closed, sleep(2000)]);
      socket.terminate();
    },
  };
}

/** The cached ttyd (and its name and version), built first if it isn't (as root); or why there is none. */
function ensureTtyd(): { ok: true; bin: string; name: string } | { ok: false; reason: string } {
  if (!fs.existsSync(TTYD_BIN)) {
    console.error(`[bench terminal] ${TTYD_BIN} missing; running ${BUILD_TTYD}`);
    const build = spawnSync("bash", [BUILD_TTYD], { stdio: ["ignore", "inherit", "inherit"] });
    if (build.status !== 0 || !fs.existsSync(TTYD_BIN)) {
      return { ok: false, reason: `ttyd could not be built (bash scripts/bench/build-ttyd.sh exited ${build.status ?? build.signal}); see its output above` };
    }
  }
  // "ttyd version 1.7.7-unknown" (built from a tarball, so no git commit).
  const version = /version (\d+(\.\d+)*)/.exec(spawnSync(TTYD_BIN, ["--version"], { encoding: "utf8" }).stdout ?? "")?.[1];
  return { ok: true, bin: TTYD_BIN, name: `ttyd ${version ?? "(unknown version)"}` };
}

// ttyd's protocol (src/server.h, src/protocol.c of ttyd 1.7.7): WebSocket
// subprotocol "tty" at /ws. The client first sends JSON {AuthToken, columns,
// rows}, which spawns the command; then client->server frames are a command
// byte and payload: '0' input, '1' resize (JSON), '2' pause, '3' resume.
// Server->client: '0' output, '1' window title, '2' preferences.
async function ttydTarget(bin: string): Promise<Target> {
  const port = await freePort();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-ttyd-"));
  const child: ChildProcess = spawn(bin, ["-p", String(port), "-i", "127.0.0.1", "-W", "-d", "3", "/bin/bash", "-l"], {
    cwd: home,
    // Next's ProcessEnv type requires NODE_ENV; the shell gets the same minimal environment as the raw pty's.
    env: { HOME: home, PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" } as Partial<NodeJS.ProcessEnv> as NodeJS.ProcessEnv,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (data: Buffer) => (log = (log + data.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(2000)]);
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    const socket = await connectWithRetry(`ws://127.0.0.1:${port}/ws`, ["tty"], () => `ttyd exited early: ${log}`, child);
    const target = webSocketTarget(socket, (data) => (data[0] === 0x30 ? data.subarray(1) : null));
    socket.send(JSON.stringify({ AuthToken: "", columns: 80, rows: 24 }));
    return {
      send: (data) => socket.send(Buffer.concat([Buffer.from("0"), Buffer.from(data)]), { binary: true }),
      onData: target.onData,
      async close() {
        await target.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function connectWithRetry(url: string, protocols: string[], why: () => string, child: ChildProcess): Promise<WebSocket> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(why());
    try {
      return await new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(url, protocols);
        socket.once("open", () => resolve(socket));
        socket.once("error", reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
