// `npm run bench [-- name ...]`: runs the benchmarks and prints their tables.
// Performance goals are checked here, not by timing assertions in tests.
import { spawnSync } from "node:child_process";
import { printTable, type Summary } from "./stats";

// Each benchmark is imported when it runs, in a process of its own: some set
// the environment (the data dir, the database) that lib/env reads once, when
// it is first imported.

const BENCHMARKS: Record<string, { title: string; run: () => Promise<Record<string, Summary>> }> = {
  provisioning: { title: "Workspace provisioning on Kubernetes (real apiserver + node agent)", run: async () => (await import("./provisioning")).benchProvisioning() },
  terminal: { title: "Terminal: raw pty and Podspace's bridge, each without and in the workspace sandbox, vs ttyd (output throughput, keystroke echo latency)", run: async () => (await import("./terminal")).benchTerminal() },
  ports: { title: "Preview URLs: the same HTTP server on the host loopback, direct through the runtime, and through Podspace's port proxy (latency, throughput)", run: async () => (await import("./ports")).benchPorts() },
  "quota-decisions": { title: "Quota decisions: concurrent starts against PostgreSQL (row-locked check)", run: async () => (await import("./quota-decisions")).benchQuotaDecisions() },
  "local-start": { title: "Local start with code-server installed: Start clicked -> terminal usable, -> IDE ready (PGlite, reconciler, local runtime)", run: async () => (await import("./local-start")).benchLocalStart() },
  "usage-dashboard": { title: "Usage dashboard over 1,000,000 intervals, 200 teams (PostgreSQL)", run: async () => (await import("./usage-dashboard")).benchUsageDashboard() },
  scale: { title: "Reconcile passes with nothing to change over 10,000 workspaces (PostgreSQL)", run: async () => (await import("./scale")).benchScale() },
  api: { title: "REST API: workspaces created and deleted by concurrent clients, one token each (production build, PostgreSQL, local runtime)", run: async () => (await import("./api")).benchApi() },
  backup: { title: "Workspace backups with restic: a generated home through the local runtime, into a folder and into S3 (s3rver over HTTPS)", run: async () => (await import("./backup")).benchBackup() },
  "scale-pages": { title: "Pages at 10,000 workspaces: TTFB sequential and concurrent, server RSS over a soak (production build, PostgreSQL)", run: async () => (await import("./scale-pages")).benchScalePages() },
};

const chosen = process.argv.slice(2);
const names = chosen.length > 0 ? chosen : Object.keys(BENCHMARKS);
const unknown = names.find((name) => !BENCHMARKS[name]);
if (unknown) {
  console.error(`unknown benchmark ${unknown}; choose from ${Object.keys(BENCHMARKS).join(", ")}`);
  process.exit(2);
}
if (names.length === 1) {
  const benchmark = BENCHMARKS[names[0]!]!;
  printTable(benchmark.title, await benchmark.run());
} else {
  // One process per benchmark, one after another: each gets the environment it sets up, and none inherits another's loops or pools.
  for (const name of names) {
    const run = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, name], { stdio: "inherit" });
    if (run.status !== 0) process.exitCode = run.status ?? 1;
  }
}
