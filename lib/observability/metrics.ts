import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { getBackgroundDb } from "@/lib/db/client";
import { POOL_NAMES, poolUsage } from "@/lib/db/pool";
import { WorkspaceState } from "@/lib/generated/prisma/enums";
import { PODSPACE_VERSION } from "@/lib/version";

// Every Prometheus metric Podspace exports, in one registry, served at
// /api/metrics (lib/observability/metrics-endpoint.ts). Instrumented code
// imports the metric it updates and changes it in one line.
//
// server.ts and the Next.js bundle each load this module, but a server
// action (a quota check) and the reconciler must count into the same
// registry: the metrics live on a global symbol, created by whichever loads
// first.

export type BackgroundLoop = "reconcile" | "policy" | "usage" | "warm-pool" | "backups";

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  /** When each background loop last finished a pass on this replica (only the leader runs them). */
  const lastPass = new Map<BackgroundLoop, number>();

  return {
    registry,
    lastPass,
    buildInfo: new Gauge({
      name: "podspace_build_info",
      help: "Always 1; the version label says which Podspace this replica runs.",
      labelNames: ["version"],
      registers,
    }),
    leader: new Gauge({
      name: "podspace_leader",
      help: "1 on the replica that runs the background loops (reconcile, idle stop, dormancy), 0 on the others.",
      registers,
    }),
    workspaces: new Gauge({
      name: "podspace_workspaces",
      help: "Workspaces by lifecycle state (deleted ones excluded), read from the database at scrape time.",
      labelNames: ["state"],
      registers,
      async collect() {
        const counts = await getBackgroundDb().workspace.groupBy({ by: ["state"], where: { state: { not: "DELETED" } }, _count: { _all: true } });
        const byState = new Map(counts.map((row) => [row.state, row._count._all]));
        for (const state of Object.values(WorkspaceState)) {
          if (state !== "DELETED") this.set({ state }, byState.get(state) ?? 0);
        }
      },
    }),
    startDuration: new Histogram({
      name: "podspace_workspace_start_duration_seconds",
      help: "Time from a workspace entering STARTING to RUNNING (provisioning, image pull, IDE ready).",
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    }),
    startStepDuration: new Histogram({
      name: "podspace_workspace_start_step_seconds",
      help: "Time each step of a workspace start took (submitted: from the request, quota decision included, until the runtime accepted the start; each later step: since the step before it).",
      labelNames: ["step"] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    terminalSessions: new Gauge({
      name: "podspace_terminal_sessions",
      help: "Terminal sessions (shells) held by this replica, attached or within their keep-alive.",
      registers,
    }),
    terminalConnections: new Counter({
      name: "podspace_terminal_connections_total",
      help: "Terminal WebSockets accepted, by whether the session was served here or forwarded to the replica holding it.",
      labelNames: ["served"],
      registers,
    }),
    portRequests: new Counter({
      name: "podspace_port_requests_total",
      help: "HTTP requests and WebSockets let through to apps in workspaces (preview URLs), by how: the port's share level, or link for a signed link's holder.",
      labelNames: ["share"],
      registers,
    }),
    portWakes: new Counter({
      name: "podspace_port_wakes_total",
      help: "Workspaces started (or retried) from a port's own page: a browser opened a preview URL of a stopped workspace and its user chose to start it.",
      registers,
    }),
    proxyBytes: new Counter({
      name: "podspace_proxy_bytes_total",
      help: "Bytes relayed between browsers and workspaces, by channel (ide, port, terminal, port-forward: the API's) and direction (upstream: to the workspace).",
      labelNames: ["channel", "direction"],
      registers,
    }),
    aiRequests: new Counter({
      name: "podspace_ai_requests_total",
      help: "AI gateway requests by the provider and model that answered (empty when none did) and outcome: ok, aborted, no-usage, rejected (the provider refused the request), fallback (this model failed, the next was tried), failed, budget, denied.",
      labelNames: ["provider", "model", "outcome"],
      registers,
    }),
    aiTokens: new Counter({
      name: "podspace_ai_tokens_total",
      help: "Tokens settled through the AI gateway, by provider, model and direction (input, output).",
      labelNames: ["provider", "model", "direction"],
      registers,
    }),
    aiCost: new Counter({
      name: "podspace_ai_cost_usd_total",
      help: "Cost settled through the AI gateway at the configured prices, in USD, by provider and model.",
      labelNames: ["provider", "model"],
      registers,
    }),
    quotaRejections: new Counter({
      name: "podspace_quota_rejections_total",
      help: "Creates and starts refused because a team quota would be exceeded, by the limit hit.",
      labelNames: ["limit"],
      registers,
    }),
    backups: new Counter({
      name: "podspace_backups_total",
      help: "Workspace backups and restores finished, by operation (backup, restore) and result (succeeded, failed).",
      labelNames: ["operation", "result"],
      registers,
    }),
    backupDuration: new Histogram({
      name: "podspace_backup_duration_seconds",
      help: "Time a workspace backup or restore took, from restic's start to its end, by operation.",
      labelNames: ["operation"],
      buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    backupBytesAdded: new Counter({
      name: "podspace_backup_bytes_added_total",
      help: "Bytes backups added to the repositories, after deduplication and compression.",
      registers,
    }),
    backupChecks: new Counter({
      name: "podspace_backup_checks_total",
      help: "restic check runs on the teams' backup repositories, by result (passed, failed): a failure means a repository that may not restore.",
      labelNames: ["result"],
      registers,
    }),
    reconcileErrors: new Counter({
      name: "podspace_reconcile_errors_total",
      help: "Reconcile attempts that failed (the workspace marked FAILED for its own failure, or retried later after a database or runtime API failure) and reconcile passes that could not run.",
      registers,
    }),
    loopLag: new Gauge({
      name: "podspace_loop_lag_seconds",
      help: "Seconds since each background loop last completed a pass on this replica; grows when a loop is stuck.",
      labelNames: ["loop"],
      registers,
      collect() {
        this.reset();
        for (const [loop, at] of lastPass) this.set({ loop }, (Date.now() - at) / 1000);
      },
    }),
    dbPoolWait: new Histogram({
      name: "podspace_db_pool_wait_seconds",
      help: "Time from asking a database pool (pages, background) for a connection to getting one, including opening it.",
      labelNames: ["pool"],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    dbPoolConnections: new Gauge({
      name: "podspace_db_pool_connections",
      help: "Connections of this replica's database pools (pages, background), in use or idle.",
      labelNames: ["pool", "state"],
      registers,
      collect() {
        this.reset();
        for (const pool of POOL_NAMES) {
          const usage = poolUsage(pool);
          if (!usage) continue;
          this.set({ pool, state: "in_use" }, usage.inUse);
          this.set({ pool, state: "idle" }, usage.idle);
        }
      },
    }),
    dbPoolWaiting: new Gauge({
      name: "podspace_db_pool_waiting_requests",
      help: "Requests waiting for a connection from this replica's database pools (pages, background); above 0, the pool is exhausted.",
      labelNames: ["pool"],
      registers,
      collect() {
        this.reset();
        for (const pool of POOL_NAMES) {
          const usage = poolUsage(pool);
          if (usage) this.set({ pool }, usage.waiting);
        }
      },
    }),
    httpDuration: new Histogram({
      name: "podspace_http_request_duration_seconds",
      help: "HTTP request latency by route (the page or handler's pattern, not the raw path), method and status class.",
      labelNames: ["route", "method", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

type Metrics = ReturnType<typeof createMetrics>;
const METRICS = Symbol.for("podspace.metrics");
const globalStore = globalThis as { [METRICS]?: Metrics };

export const metrics: Metrics = (globalStore[METRICS] ??= createMetrics());
metrics.buildInfo.set({ version: PODSPACE_VERSION }, 1);

/** A background loop finished a pass. */
export function recordLoopPass(loop: BackgroundLoop): void {
  metrics.lastPass.set(loop, Date.now());
}

/** A background loop stopped here (leadership moved): its lag is no longer this replica's to report. */
export function forgetLoop(loop: BackgroundLoop): void {
  metrics.lastPass.delete(loop);
}
