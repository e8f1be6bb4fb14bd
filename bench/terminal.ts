// Terminal benchmark: the same shell workloads, side by side, through
//
//   raw pty   node-pty bash spawned in this process as the local runtime
//             spawns it, without the sandbox (./unsandboxed-shell.ts): the floor
//   raw pty   the same, in a local-runtime workspace's sandbox: the runtime's
//   in the    own attachTerminal (nsenter as root, a bwrap of its own
//   sandbox   otherwise), in this process
//   bare      a `ws` client -> a `ws` server in a process of its own that only
//   relay     copies bytes to and from an unsandboxed node-pty bash
//             (./bare-terminal-relay.ts): the floor of any WebSocket terminal
//   Podspace  a `ws` client -> Podspace's terminal WebSocket bridge (lib/terminal,
//             in a server process of its own: bench/terminal-bridge-server.ts)
//             -> node-pty bash in a local-runtime workspace's sandbox; and the
//             same bridge onto the unsandboxed shell
//   ttyd      a `ws` client -> ttyd (the C web terminal: libwebsockets + libuv)
//             -> its bash; built by scripts/bench/build-ttyd.sh when missing
//
// Sandboxed vs not is measured twice, each pair with all else equal and run
// one after the other: what the sandbox costs is each pair's difference.
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
import { WebSocket } from "ws";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { TerminalSession } from "@/lib/runtime/types";
import { freePort } from "../test/helpers/net";
import { contractSpec, TEST_SHARED_PATHS, waitForIdeAnswer, waitForState } from "../test/runtime/contract";
import { compare, summarize, type Summary } from "./stats";
import { unsandboxedShell } from "./unsandboxed-shell";

const THROUGHPUT_BYTES = Number(process.env.BENCH_THROUGHPUT_BYTES ?? 50_000_000);
const THROUGHPUT_RUNS = Number(process.env.BENCH_THROUGHPUT_RUNS ?? 3);
const KEYSTROKES = Number(process.env.BENCH_KEYSTROKES ?? 500);
/** The keystrokes are typed in this many rounds, taking turns with the other terminals. */
const KEYSTROKE_ROUNDS = 5;
const KEYSTROKES_PER_ROUND = Math.ceil(KEYSTROKES / KEYSTROKE_ROUNDS);
const WARMUP_KEYSTROKES = 20;
const STALL_MS = 30_000;
/** Pause between keystrokes, like (very fast) typing: each is measured on an idle terminal. */
const KEYSTROKE_GAP_MS = 5;
const CACHE_ROOT = process.env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace");
const TTYD_BIN = path.join(CACHE_ROOT, "ttyd", "ttyd");
const BUILD_TTYD = path.resolve(import.meta.dirname, "../scripts/bench/build-ttyd.sh");
const BRIDGE_SERVER = path.resolve(import.meta.dirname, "terminal-bridge-server.ts");
const BARE_RELAY = path.resolve(import.meta.dirname, "bare-terminal-relay.ts");

/** A terminal as the benchmark drives it: bytes in, bytes out. */
interface Target {
  send(data: string): void;
  /** Every output chunk (terminal bytes only, protocol framing removed). */
  onData(listener: (chunk: Buffer) => void): () => void;
  close(): Promise<void>;
}

/** Where benchTerminal's list has the terminals its comparison rows compare. */
const RAW_PTY = 0;
const RAW_PTY_IN_SANDBOX = 1;
const BARE_RELAY_ROW = 2;
const BRIDGE_UNSANDBOXED = 3;
const BRIDGE_AS_SHIPPED = 4;
const TTYD = 5;

/** Opens fresh terminals of one kind until ended; or why it can't. */
type Terminals = { open: () => Promise<Target>; end(): Promise<void> } | { error: string };

export async function benchTerminal(): Promise<Record<string, Summary>> {
  const ttyd = ensureTtyd();
  // Each set up (a workspace, a server) before any is measured: they are measured in turns.
  // The rows the comparisons name (RAW_PTY, BRIDGE_AS_SHIPPED, …) are at their places in this list.
  const terminals: [string, Terminals][] = [
    ["raw pty (node-pty), no sandbox", { open: rawPty, end: async () => {} }],
    ["raw pty (node-pty) in the sandbox", await sandboxedPty()],
    ["bare WebSocket relay (ws + node-pty), no sandbox", await bareRelay()],
    ["Podspace bridge, no sandbox", await bridge({ sandboxed: false })],
    ["Podspace bridge (sandboxed: as shipped)", await bridge({ sandboxed: true })],
    [ttyd.ok ? ttyd.name : "ttyd", ttyd.ok ? { open: () => ttydTarget(ttyd.bin), end: async () => {} } : { error: ttyd.reason }],
  ];
  let results: Measured[];
  try {
    results = await measureInTurns(terminals.map(([, kind]) => kind));
  } finally {
    for (const [, kind] of terminals) if ("end" in kind) await kind.end();
  }

  // Each measure for all targets together: the comparison is the point.
  const rows: Record<string, Summary> = {};
  const throughputs = results.map(({ throughput }, i): Summary => {
    const row: Summary =
      "error" in throughput
        ? { kind: "unavailable", reason: throughput.error }
        : {
            kind: "throughput",
            runs: throughput.runs,
            bytes: THROUGHPUT_BYTES,
            note: throughput.stalled > 0 ? `${throughput.stalled} more stalled: no output for ${STALL_MS / 1000} s` : undefined,
          };
    rows[`throughput ${THROUGHPUT_BYTES / 1e6} MB, ${terminals[i]![0]}`] = row;
    return row;
  });
  const echoes = results.map(({ echo }, i): Summary => {
    const row: Summary = "error" in echo ? { kind: "unavailable", reason: echo.error } : summarize(echo);
    rows[`keystroke echo n=${KEYSTROKE_ROUNDS * KEYSTROKES_PER_ROUND}, ${terminals[i]![0]}`] = row;
    return row;
  });
  // The goals are the shipped bridge's against its peers (issue 19): the raw pty it sits on, and ttyd. Against the
  // bare relay, each with the same unsandboxed shell: what the bridge itself costs, beyond what a WebSocket hop does.
  const comparisons: Array<[row: number, peer: number, label: string]> = [
    [BRIDGE_AS_SHIPPED, RAW_PTY_IN_SANDBOX, "Podspace bridge (as shipped)"],
    [BRIDGE_AS_SHIPPED, TTYD, "Podspace bridge (as shipped)"],
    [BARE_RELAY_ROW, RAW_PTY, "bare WebSocket relay"],
    [BRIDGE_UNSANDBOXED, BARE_RELAY_ROW, "Podspace bridge, no sandbox"],
  ];
  for (const [row, peer, label] of comparisons) {
    rows[`${label} vs ${terminals[peer]![0]}`] = {
      kind: "comparison",
      figures: [
        ...compare(throughputs[row], throughputs[peer]),
        ...compare(echoes[row], echoes[peer]).map(({ label, value }) => ({ label: `echo ${label}`, value })),
      ],
    };
  }
  return rows;
}

type Measured = { throughput: { runs: number[]; stalled: number } | { error: string }; echo: number[] | { error: string } };

/**
 * Every kind of terminal in turns: the first throughput run of each, then the
 * second of each, and so on, then the keystrokes in rounds likewise; so load
 * from elsewhere on the (shared) machine falls on all of them alike rather
 * than on whichever ran at the time. Each run and round on a fresh terminal
 * (a run that stalls can't take the next ones down with it). A stall is
 * counted and reported with the runs that completed; any other error makes
 * the row unavailable.
 */
async function measureInTurns(terminals: Terminals[]): Promise<Measured[]> {
  const tallies = terminals.map((kind) => {
    const error = "error" in kind ? kind.error : undefined;
    return { runs: [] as number[], stalled: 0, throughputError: error, echo: [] as number[], echoError: error };
  });
  for (let run = 0; run < THROUGHPUT_RUNS; run++) {
    for (const [i, kind] of terminals.entries()) {
      const tally = tallies[i]!;
      if ("error" in kind || tally.throughputError !== undefined) continue;
      const result = await withTarget(kind.open, async (target) => {
        // Warm-up (JIT, page cache, socket buffers), not counted.
        await measureThroughput(target, 99, Math.min(THROUGHPUT_BYTES, 5_000_000));
        return measureThroughput(target, run);
      });
      if (typeof result === "number") tally.runs.push(result);
      else if (result.stalled) tally.stalled++;
      else tally.throughputError = result.error;
    }
  }
  for (let round = 0; round < KEYSTROKE_ROUNDS; round++) {
    for (const [i, kind] of terminals.entries()) {
      const tally = tallies[i]!;
      if ("error" in kind || tally.echoError !== undefined) continue;
      const result = await withTarget(kind.open, measureEcho);
      if (Array.isArray(result)) tally.echo.push(...result);
      else tally.echoError = result.error;
    }
  }
  return tallies.map(({ runs, stalled, throughputError, echo, echoError }) => ({
    throughput:
      throughputError !== undefined
        ? { error: throughputError }
        : runs.length > 0
          ? { runs, stalled }
          : { error: `all ${stalled} runs stalled (no output for ${STALL_MS / 1000} s)` },
    echo: echoError !== undefined ? { error: echoError } : echo,
  }));
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
  for (let i = 0; i < WARMUP_KEYSTROKES + KEYSTROKES_PER_ROUND; i++) {
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
  return sessionTarget(unsandboxedShell(home, TERMINAL_SIZE), () => fs.rmSync(home, { recursive: true, force: true }));
}

/** Shells the runtime opens in a running workspace of its own, in this process, on a throwaway data dir. */
function sandboxedPty(): Promise<Terminals> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-sandbox-"));
  // As the terminal tests' harness makes it: the test IDE needs this Node.js and the fixtures in the sandbox.
  const runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
  const spec = contractSpec("benchpty");
  return setUp(
    async () => {
      await runtime.provision(spec);
      await runtime.start(spec);
      await waitForState(runtime, spec, "running", 30_000);
      // Its IDE started too, and is idle before the measuring starts, as in the bridge's workspace.
      await waitForIdeAnswer(runtime, spec);
      return async () => sessionTarget(await runtime.attachTerminal(spec, TERMINAL_SIZE));
    },
    async () => {
      await runtime.stop(spec);
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  );
}

/** `start` sets up what `open` needs; `end` undoes it, after the measuring or at once if `start` fails. */
async function setUp(start: () => Promise<() => Promise<Target>>, end: () => Promise<void>): Promise<Terminals> {
  try {
    return { open: await start(), end };
  } catch (error) {
    await end();
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const TERMINAL_SIZE = { cols: 80, rows: 24 };

/** A runtime's shell (node-pty underneath) as the benchmark drives it; `cleanup` runs when it is closed. */
function sessionTarget(session: TerminalSession, cleanup = () => {}): Target {
  const listeners = new Set<(chunk: Buffer) => void>();
  session.onData((data) => {
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    for (const listener of listeners) listener(chunk);
  });
  const exited = new Promise<void>((resolve) => session.onExit(() => resolve()));
  return {
    send: (data) => session.write(data),
    onData: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    async close() {
      session.close();
      await Promise.race([exited, sleep(2000)]);
      cleanup();
    },
  };
}

/** Podspace's bridge in its own server process, on a throwaway data dir and embedded database; its shells sandboxed or not. */
function bridge({ sandboxed }: { sandboxed: boolean }): Promise<Terminals> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-"));
  // Nothing from the developer's shell: the embedded database in dataDir, the demo sign-in.
  const serverEnv: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", PODSPACE_DATA_DIR: dataDir };
  delete serverEnv.DATABASE_URL;
  delete serverEnv.PODSPACE_OIDC_PROVIDERS;
  // Migrating a fresh embedded database and starting a workspace: slow on a busy machine.
  const server = serverProcess<{ url: string; cookie: string; origin: string }>(BRIDGE_SERVER, sandboxed ? [] : ["--unsandboxed"], serverEnv, 180_000);
  return setUp(async () => {
    const endpoint = await server.ready;
    let sessions = 0;
    return async () => {
      // A session of its own per connection: the previous one is still closing.
      const socket = new WebSocket(`${endpoint.url}?session=bench-${sessions++}&cols=80&rows=24`, { headers: { cookie: endpoint.cookie }, origin: endpoint.origin });
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
    };
  }, async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
}

/** The floor of a WebSocket terminal: a relay that only copies bytes between a socket and a shell (./bare-terminal-relay.ts). */
function bareRelay(): Promise<Terminals> {
  const server = serverProcess<{ url: string }>(BARE_RELAY, [], process.env, 30_000);
  return setUp(async () => {
    const { url } = await server.ready;
    return async () => {
      const socket = await new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(url);
        socket.once("open", () => resolve(socket));
        socket.once("error", reject);
      });
      const target = webSocketTarget(socket, (data, isBinary) => (isBinary ? data : null));
      return { send: (data) => socket.send(Buffer.from(data), { binary: true }), onData: target.onData, close: target.close };
    };
  }, server.stop);
}

/** A benchmark server (a tsx script) in a process of its own: `ready` is the JSON line it prints once it serves. */
function serverProcess<T>(script: string, args: string[], env: NodeJS.ProcessEnv, readyWithinMs: number) {
  const child = spawn("tsx", [script, ...args], { env, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path.basename(script)} did not start in ${readyWithinMs / 1000} s`)), readyWithinMs);
    void exited.then(() => reject(new Error(`${path.basename(script)} exited with ${child.exitCode} before it was ready`)));
    readline.createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as T);
    });
  });
  return {
    ready,
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
    },
  };
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
