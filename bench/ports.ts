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
//
// Per target:
//   latency     sequential GET /healthz (a few bytes) on one kept-alive
//               connection: p50/p95/p99 (BENCH_PORT_REQUESTS, default 2000)
//   throughput  GET /bytes?n=BENCH_PORT_BYTES (default 50 MB): MB/s, 3 runs
//
// Goals (issue 15): p50 added latency ≤ 1 ms, throughput ≥ 0.8× direct.
//
//   npm run bench -- ports
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createPrismaClient, installDbClients } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { env } from "@/lib/env";
import { sealIdeCredential } from "@/lib/ide/ide-credentials";
import { createPreviewHost } from "@/lib/ports/preview-host";
import { StreamAgent } from "@/lib/server/stream-proxy";
import { createSession } from "../test/helpers/identity";
import { freePort } from "../test/helpers/net";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { createPeople, IDE_WS_SERVER, runningWorkspace, startHarness } from "../test/terminal/harness";
import { summarize, type Summary } from "./stats";

const REQUESTS = Number(process.env.BENCH_PORT_REQUESTS ?? 2000);
const BYTES = Number(process.env.BENCH_PORT_BYTES ?? 50_000_000);
const THROUGHPUT_RUNS = 3;
const APP_PORT = 13337;

/** How a target is reached: an agent that keeps its connection alive, and the Host header to send. */
interface Target {
  url: string;
  agent: http.Agent;
  headers: Record<string, string>;
}

function get(target: Target, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${target.url}${path}`, { agent: target.agent, headers: target.headers }, (response) => {
        let bytes = 0;
        response.on("data", (chunk: Buffer) => (bytes += chunk.length));
        response.on("end", () => (response.statusCode === 200 ? resolve(bytes) : reject(new Error(`${path}: ${response.statusCode}`))));
      })
      .once("error", reject);
  });
}

async function latency(target: Target): Promise<Summary> {
  for (let i = 0; i < 50; i++) await get(target, "/healthz");
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const start = performance.now();
    await get(target, "/healthz");
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

async function throughput(target: Target): Promise<Summary> {
  await get(target, `/bytes?n=${5_000_000}`);
  const runs: number[] = [];
  for (let i = 0; i < THROUGHPUT_RUNS; i++) {
    const start = performance.now();
    const bytes = await get(target, `/bytes?n=${BYTES}`);
    runs.push(bytes / 1e6 / ((performance.now() - start) / 1000));
  }
  return { kind: "throughput", runs, bytes: BYTES };
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
  try {
    const people = await createPeople("bench");
    const workspace = await runningWorkspace(harness, people, "bench");
    const address = { workspaceId: workspace.id, port: APP_PORT };
    const origin = previewHost.originOf(address);
    const cookie = `podspace-port=${await sealIdeCredential("cookie", await createSession(people.owner), origin, new Date(Date.now() + 3600_000))}`;
    const portTarget = await harness.runtime.portTarget(workspace.spec, APP_PORT);

    const targets: [string, Target][] = [
      ["host loopback, no sandbox (floor)", { url: `http://127.0.0.1:${hostPort}`, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), headers: {} }],
      ["direct: the runtime's connection to the port", { url: "http://workspace.invalid", agent: new StreamAgent(portTarget), headers: {} }],
      ["proxied: Podspace's port proxy (as shipped)", { url: harness.base, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), headers: { host: new URL(origin).host, cookie } }],
    ];
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rows: Record<string, Summary> = {};
    // In turns, so the machine's load falls on every target alike.
    for (const [name, target] of targets) rows[`${name}: GET /healthz`] = await latency(target);
    for (const [name, target] of targets) rows[`${name}: GET ${BYTES / 1e6} MB`] = await throughput(target);
    for (const [, target] of targets) target.agent.destroy();
    return rows;
  } finally {
    floor.kill();
    await harness.close();
    await uninstallClients();
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
