// bench/ports.ts's client, in a process of its own, as a browser is: run
// in the benchmark's process, it would share the event loop of the proxy it
// measures. Takes one JSON argument (what to reach, and which measurement)
// and prints the Summary as JSON on stdout.
//
//   tsx bench/ports-client.ts '{"reach":{"url":…,"headers":{…}},"measure":"latency","requests":2000}'
//   tsx bench/ports-client.ts '{"reach":{"socketPath":…,"port":13337},"measure":"throughput","bytes":50000000}'
import http from "node:http";
import { connectToPort } from "@/lib/runtime/local/port-connection";
import { StreamAgent } from "@/lib/server/stream-proxy";
import { summarize, type Summary } from "./stats";

const THROUGHPUT_RUNS = 3;

/** Over HTTP to a URL, or straight into a local workspace's port through its sandbox relay's socket (the runtime's own way in). */
export type Reach = { url: string; headers: Record<string, string> } | { socketPath: string; port: number };

export interface ClientRun {
  reach: Reach;
  measure: "latency" | "throughput";
  requests: number;
  bytes: number;
}

interface Target {
  url: string;
  agent: http.Agent;
  headers: Record<string, string>;
}

function targetOf(reach: Reach): Target {
  if ("url" in reach) return { url: reach.url, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), headers: reach.headers };
  const { socketPath, port } = reach;
  return { url: "http://workspace.invalid", agent: new StreamAgent({ connect: () => connectToPort(socketPath, port, "bench") }), headers: {} };
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

async function latency(target: Target, requests: number): Promise<Summary> {
  for (let i = 0; i < 50; i++) await get(target, "/healthz");
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const start = performance.now();
    await get(target, "/healthz");
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

async function throughput(target: Target, bytes: number): Promise<Summary> {
  await get(target, `/bytes?n=${5_000_000}`);
  const runs: number[] = [];
  for (let i = 0; i < THROUGHPUT_RUNS; i++) {
    const start = performance.now();
    const received = await get(target, `/bytes?n=${bytes}`);
    runs.push(received / 1e6 / ((performance.now() - start) / 1000));
  }
  return { kind: "throughput", runs, bytes };
}

const run = JSON.parse(process.argv[2] ?? "{}") as ClientRun;
const target = targetOf(run.reach);
const summary = run.measure === "latency" ? await latency(target, run.requests) : await throughput(target, run.bytes);
target.agent.destroy();
process.stdout.write(JSON.stringify(summary));
