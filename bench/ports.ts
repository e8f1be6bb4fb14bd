// Preview URLs' cost: the same HTTP server, side by side in one run, reached
//
//   host loopback  a copy of the server outside any sandbox, on 127.0.0.1:
//                  the floor
//   direct         the server in a local-runtime workspace's sandbox, through
//                  the runtime's own connection to its port (the sandbox
//                  relay's ports socket), kept alive: what the proxy sits on
//   proxied        the same, through Podspace's port proxy as a browser
//                  reaches it: the gateway, the port cookie checked against the
//                  session (reused for the proxy's few seconds), the request
//                  streamed over a fresh connection to the port
//   one more hop   the direct path behind a byte-for-byte pipe in the
//                  proxy's process (no HTTP, no checks): what any proxy in
//                  that place costs, so that the proxy's own share shows
//
// Each is measured by a client in a process of its own (ports-client.ts), as
// a browser is, not on the event loop of the proxy it measures. Per target:
//   latency     sequential GET /healthz (a few bytes) on one kept-alive
//               connection: p50/p95/p99 (BENCH_PORT_REQUESTS, default 2000)
//   throughput  GET /bytes?n=BENCH_PORT_BYTES (default 50 MB): MB/s, 3 runs
//
// Goals (issue 15): p50 added latency ≤ 1 ms, throughput ≥ 0.8× direct.
//
//   npm run bench -- ports
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createPrismaClient, installDbClients } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { env } from "@/lib/env";
import { sealIdeCredential } from "@/lib/ide/ide-credentials";
import { createPreviewHost } from "@/lib/ports/preview-host";
import { connectToPort } from "@/lib/runtime/local/port-connection";
import { PORTS_SOCKET } from "@/lib/runtime/local/sandbox";
import { createSession } from "../test/helpers/identity";
import { freePort } from "../test/helpers/net";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { createPeople, IDE_WS_SERVER, runningWorkspace, startHarness } from "../test/terminal/harness";
import type { ClientRun, Reach } from "./ports-client";
import { compare, type Summary } from "./stats";

const REQUESTS = Number(process.env.BENCH_PORT_REQUESTS ?? 2000);
const BYTES = Number(process.env.BENCH_PORT_BYTES ?? 50_000_000);
const APP_PORT = 13337;

/** Runs the client in a process of its own (ports-client.ts) and reads its Summary; asynchronously, as the proxy measured runs in this process. */
async function measure(run: ClientRun): Promise<Summary> {
  const client = spawn("npx", ["tsx", path.join(import.meta.dirname, "ports-client.ts"), JSON.stringify(run)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  client.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  client.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => client.once("exit", resolve));
  if (code !== 0) throw new Error(`the benchmark's client failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as Summary;
}

export async function benchPorts(): Promise<Record<string, Summary>> {
  const database = await createTestDatabase(process.env.PODSPACE_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  const target = { kind: "postgres" as const, url: database.url };
  await prepareDatabase(target);
  const db = createPrismaClient(target);
  const uninstallClients = installDbClients({ pages: db, background: db });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-ports-"));
  const previewHost = createPreviewHost("*.preview.podspace.bench", env.PODSPACE_URL);
  const harness = await startHarness({ previewHost, dataDir });
  const hostPort = await freePort();
  const floor = spawn(process.execPath, [IDE_WS_SERVER, "127.0.0.1", String(hostPort)], { stdio: "ignore" });
  let pipe: net.Server | undefined;
  try {
    const people = await createPeople("bench");
    const workspace = await runningWorkspace(harness, people, "bench");
    const address = { workspaceId: workspace.id, port: APP_PORT };
    const origin = previewHost.originOf(address);
    const cookie = `podspace-port=${await sealIdeCredential("cookie", await createSession(people.owner), origin, new Date(Date.now() + 3600_000))}`;
    // Where the local runtime keeps the sandbox relay's socket for its connections to the workspace's ports, once taken out of the sandbox's reach.
    const socketPath = path.join(dataDir, "runtime", "local", `${workspace.id}.sockets`, PORTS_SOCKET);
    pipe = await pipeServer(socketPath, APP_PORT);

    const targets: [string, Reach][] = [
      ["host loopback, no sandbox (floor)", { url: `http://127.0.0.1:${hostPort}`, headers: {} }],
      ["direct: the runtime's connection to the port", { socketPath, port: APP_PORT }],
      ["proxied: Podspace's port proxy (as shipped)", { url: harness.base, headers: { host: new URL(origin).host, cookie } }],
      ["one more hop: a plain pipe in the proxy's process", { url: `http://127.0.0.1:${(pipe.address() as net.AddressInfo).port}`, headers: {} }],
    ];
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rows: Record<string, Summary> = {};
    // In turns, so the machine's load falls on every target alike.
    for (const [name, reach] of targets) rows[`${name}: GET /healthz`] = await measure({ reach, measure: "latency", requests: REQUESTS, bytes: BYTES });
    for (const [name, reach] of targets) rows[`${name}: GET ${BYTES / 1e6} MB`] = await measure({ reach, measure: "throughput", requests: REQUESTS, bytes: BYTES });
    // The goals are the proxy's against the direct path it sits on.
    const [, direct, proxied, hop] = targets.map(([name]) => name);
    const versus = (row: string, peer: string): Summary => ({
      kind: "comparison",
      figures: [...compare(rows[`${row}: GET ${BYTES / 1e6} MB`], rows[`${peer}: GET ${BYTES / 1e6} MB`]), ...compare(rows[`${row}: GET /healthz`], rows[`${peer}: GET /healthz`])],
    });
    rows["proxied vs direct"] = versus(proxied!, direct!);
    rows["proxied vs one more hop"] = versus(proxied!, hop!);
    return rows;
  } finally {
    pipe?.close();
    floor.kill();
    await harness.close();
    await uninstallClients();
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A TCP server that pipes each connection, byte for byte, into the runtime's connection to the port: a hop with nothing else. */
async function pipeServer(socketPath: string, port: number): Promise<net.Server> {
  const server = net.createServer((client) => {
    connectToPort(socketPath, port, "bench").then(
      (upstream) => {
        client.pipe(upstream).pipe(client);
        upstream.once("error", () => client.destroy());
        client.once("error", () => upstream.destroy());
      },
      () => client.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
