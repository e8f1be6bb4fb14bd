// Pages at fleet scale: the production server (server.ts on the `next build`
// output, background loops running) over a PostgreSQL database seeded like a
// large install: 100 teams, 1,000 users, 10,000 workspaces (2,000 of them in
// one team), 200,000 workspace events and 50,000 audit entries. Measures time
// to first byte of the pages people open, one request at a time and with 20
// clients at once, then the server's memory over a soak of mixed traffic.
// The issue's goals: p95 ≤ 100 ms with no errors; RSS ≤ 500 MB. Two floors
// are measured the same way (not in the soak): the emptiest page, i.e. the
// app's shell, and a route that renders no page.
//
//   npm run bench -- scale-pages   (BENCH_REQUESTS=30 per page sequential, BENCH_CLIENTS=20,
//                                   BENCH_CONCURRENT_REQUESTS=200 per page, BENCH_SOAK_SECONDS=600,
//                                   BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres)
//
// Runs on the existing build in .next (building it first when there is none):
// run `npx next build` after changing the code.
import { readFileSync } from "node:fs";
import http from "node:http";
import { Client } from "pg";
import { prepareDatabase } from "@/lib/db/prepare";
import { TEAM_COOKIE } from "@/lib/teams/selected-team";
import { startPodspace, type PodspaceProcess } from "../e2e/harness";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { TEST_TEMPLATE } from "../test/helpers/test-template";
import { ensureBuild } from "./build";
import { summarize, type Summary } from "./stats";

const TEAMS = 100;
const USERS = 1_000;
const WORKSPACES = 10_000;
/** Workspaces in team 1, the team whose tab the issue found rendering all of them. */
const BIG_TEAM_WORKSPACES = 2_000;
const EVENTS_PER_WORKSPACE = 20;
const AUDIT_ENTRIES = 50_000;
const TEMPLATES = 20;

/** user1 is a platform admin and owns team-1; it owns 200 of that team's workspaces. */
const SESSION_TOKEN = "bench-scale-pages-session";
const METRICS_TOKEN = "bench-scale-pages-metrics-token";

export async function benchScalePages(
  sequential = Number(process.env.BENCH_REQUESTS ?? 30),
  clients = Number(process.env.BENCH_CLIENTS ?? 20),
  concurrentRequests = Number(process.env.BENCH_CONCURRENT_REQUESTS ?? 200),
  soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? 600),
): Promise<Record<string, Summary>> {
  ensureBuild();
  const database = await createTestDatabase(process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  let server: PodspaceProcess | undefined;
  try {
    await prepareDatabase({ kind: "postgres", url: database.url });
    const seeding = performance.now();
    const workspaceId = await seed(database.url);
    console.log(`  seeded ${TEAMS} teams, ${USERS} users, ${WORKSPACES} workspaces, ${WORKSPACES * EVENTS_PER_WORKSPACE} events, ${AUDIT_ENTRIES} audit entries in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

    server = await startPodspace({ env: { DATABASE_URL: database.url, PODSPACE_METRICS_TOKEN: METRICS_TOKEN } });
    const pages: Record<string, string> = {
      "/workspaces (mine: 200)": "/workspaces",
      "/workspaces?scope=team (2,000)": "/workspaces?scope=team",
      "/teams/team-1": "/teams/team-1",
      "/admin/users": "/admin/users",
      "/audit": "/audit",
      "/templates": "/templates",
      "/workspaces/<id>": `/workspaces/${workspaceId}`,
    };
    const floors: Record<string, string> = {
      "floor: /tokens (the shell; user1 has none)": "/tokens",
      "floor: /api/health (no page)": "/api/health",
    };
    const get = requester(server.port);
    for (const path of [...Object.values(pages), ...Object.values(floors)]) await get(path); // compile caches, first connections

    const rows: Record<string, Summary> = {};
    for (const [label, path] of [...Object.entries(pages), ...Object.entries(floors)]) {
      const run = await measure(get, () => path, sequential, 1);
      rows[`${label}: sequential`] = run.latency;
      const concurrent = await measure(get, () => path, concurrentRequests, clients);
      rows[`${label}: ${clients} clients`] = concurrent.latency;
      console.log(`  ${label}: ${kb(run.bytes)} per answer; errors ${run.errors.length + concurrent.errors.length}${[...run.errors, ...concurrent.errors].slice(0, 3).map((e) => `; ${e}`).join("")}`);
    }

    // Soak: every page in turn, `clients` at once, for soakSeconds; RSS sampled as it runs.
    const paths = Object.values(pages);
    const rss: number[] = [readRssMB(server)];
    const sampler = setInterval(() => rss.push(readRssMB(server!)), 5_000);
    const soakEnd = Date.now() + soakSeconds * 1000;
    let next = 0;
    const soak = await measure(get, () => (Date.now() < soakEnd ? paths[next++ % paths.length]! : null), Infinity, clients);
    clearInterval(sampler);
    rss.push(readRssMB(server));
    rows[`soak ${soakSeconds} s, ${clients} clients, all pages`] = soak.latency;
    rows[`server RSS over the soak (MB, ${rss.length} samples)`] = { kind: "level", unit: "MB", start: rss[0]!, peak: Math.max(...rss), end: rss.at(-1)! };
    console.log(`  soak: ${soak.count} requests, errors ${soak.errors.length}${soak.errors.slice(0, 3).map((e) => `; ${e}`).join("")}`);
    console.log(`  loop metrics at the end:\n${(await metricLines(server.port, /^podspace_(loop_lag_seconds|reconcile_errors_total|db_pool)/)).map((line) => `    ${line}`).join("\n")}`);
    return rows;
  } finally {
    await server?.stop();
    await database.drop();
  }
}

/** Seeds the install with set-based INSERTs; returns a workspace of user1's for the workspace page. */
export async function seed(url: string): Promise<string> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO "User" ("id", "email", "name", "isPlatformAdmin", "updatedAt")
       SELECT 'u' || n, 'user' || n || '@bench.test', 'User ' || n, n = 1, now() FROM generate_series(1, $1::int) AS n`,
      [USERS],
    );
    await db.query(`INSERT INTO "Session" ("id", "sessionToken", "userId", "expires", "updatedAt") VALUES ('s1', $1, 'u1', now() + interval '1 day', now())`, [SESSION_TOKEN]);
    await db.query(
      `INSERT INTO "Team" ("id", "slug", "name", "updatedAt") SELECT 't' || n, 'team-' || n, 'Team ' || n, now() FROM generate_series(1, $1::int) AS n`,
      [TEAMS],
    );
    // User n belongs to team ((n - 1) % TEAMS) + 1; the first user of each team owns it.
    await db.query(
      `INSERT INTO "Membership" ("id", "teamId", "userId", "role", "updatedAt")
       SELECT 'm' || n, 't' || ((n - 1) % $2 + 1), 'u' || n, (CASE WHEN n <= $2 THEN 'OWNER' ELSE 'MEMBER' END)::"TeamRole", now()
       FROM generate_series(1, $1::int) AS n`,
      [USERS, TEAMS],
    );
    await db.query(
      `INSERT INTO "Template" ("id", "slug", "name", "description", "tags", "updatedAt")
       SELECT 'tpl' || n, 'template-' || n, 'Template ' || n, 'A template for the benchmark', ARRAY['bench'], now() FROM generate_series(1, $1::int) AS n`,
      [TEMPLATES],
    );
    await db.query(
      `INSERT INTO "TemplateVersion" ("id", "templateId", "version", "spec") SELECT 'tv' || n, 'tpl' || n, 1, $2::jsonb FROM generate_series(1, $1::int) AS n`,
      [TEMPLATES, JSON.stringify(TEST_TEMPLATE)],
    );
    // Workspace i: the first BIG_TEAM_WORKSPACES in team 1, the rest spread over the other teams; owners round-robin among each team's members.
    const membersPerTeam = USERS / TEAMS;
    await db.query(
      `WITH w AS (
         SELECT n, CASE WHEN n <= $2 THEN 1 ELSE 2 + (n - $2 - 1) % ($3 - 1) END AS team FROM generate_series(1, $1::int) AS n)
       INSERT INTO "Workspace" ("id", "name", "ownerId", "teamId", "templateVersionId", "parameters", "state", "desiredState", "stoppedAt", "createdAt", "updatedAt")
       SELECT 'w' || n, 'workspace-' || n, 'u' || (team + $3 * (n % $4)), 't' || team, 'tv' || (1 + n % $5),
              '{"cpu": 1, "memoryGiB": 1, "diskGiB": 1, "values": {}}'::jsonb, 'STOPPED', 'STOPPED',
              now() - interval '1 hour', now() - n * interval '1 minute', now()
       FROM w`,
      [WORKSPACES, BIG_TEAM_WORKSPACES, TEAMS, membersPerTeam, TEMPLATES],
    );
    // Every existing workspace holds its volume, metered as an open storage interval.
    await db.query(
      `INSERT INTO "UsageInterval" ("id", "kind", "workspaceId", "teamId", "userId", "templateId", "storageGiB", "startedAt", "rolledUpUntil")
       SELECT 'ui' || w."id", 'STORAGE', w."id", w."teamId", w."ownerId", tv."templateId", 1, w."createdAt", now() - interval '10 minutes'
       FROM "Workspace" w JOIN "TemplateVersion" tv ON tv."id" = w."templateVersionId"`,
    );
    await db.query(
      `INSERT INTO "WorkspaceEvent" ("id", "workspaceId", "step", "message", "createdAt")
       SELECT 'e' || w || '-' || k, 'w' || w, 'provision', 'Step ' || k || ' done', now() - (w * 60 - k) * interval '1 second'
       FROM generate_series(1, $1::int) AS w, generate_series(1, $2::int) AS k`,
      [WORKSPACES, EVENTS_PER_WORKSPACE],
    );
    await db.query(
      `INSERT INTO "AuditLog" ("id", "actorId", "teamId", "action", "targetType", "targetId", "createdAt")
       SELECT 'a' || n, 'u' || (1 + n % $2), 't' || (1 + n % $3), 'workspace.started', 'workspace', 'w' || (1 + n % $4), now() - n * interval '10 seconds'
       FROM generate_series(1, $1::int) AS n`,
      [AUDIT_ENTRIES, USERS, TEAMS, WORKSPACES],
    );
    await db.query("ANALYZE");
    const { rows } = await db.query<{ id: string }>(`SELECT "id" FROM "Workspace" WHERE "ownerId" = 'u1' ORDER BY "createdAt" DESC LIMIT 1`);
    return rows[0]!.id;
  } finally {
    await db.end();
  }
}

type Get = (path: string) => Promise<{ status: number; ttfbMs: number; bytes: number }>;

/** GETs as user1 (team-1 selected), timing the first byte of the answer; reads the whole body. */
function requester(port: number): Get {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const headers = {
    // The server's own name (the default PODSPACE_URL), on the loopback.
    host: `podspace.localhost:${port}`,
    cookie: `authjs.session-token=${SESSION_TOKEN}; ${TEAM_COOKIE}=t1`,
  };
  return (path) =>
    new Promise((resolve, reject) => {
      const began = performance.now();
      const request = http.get({ host: "127.0.0.1", port, path, headers, agent }, (response) => {
        const ttfbMs = performance.now() - began;
        let bytes = 0;
        response.on("data", (chunk: Buffer) => (bytes += chunk.length));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, ttfbMs, bytes }));
        response.on("error", reject);
      });
      request.on("error", reject);
      request.setTimeout(60_000, () => request.destroy(new Error(`no answer to ${path} in 60 s`)));
    });
}

/** `total` requests (or until `nextPath` returns null) over `clients` loops; errors are non-200 answers and failures. */
async function measure(get: Get, nextPath: () => string | null, total: number, clients: number) {
  const ttfb: number[] = [];
  const errors: string[] = [];
  let bytes = 0;
  let issued = 0;
  async function client() {
    for (let path = nextPath(); path !== null && issued < total; path = nextPath()) {
      issued++;
      try {
        const answer = await get(path);
        ttfb.push(answer.ttfbMs);
        bytes = answer.bytes;
        if (answer.status !== 200) errors.push(`${path}: HTTP ${answer.status}`);
      } catch (error) {
        errors.push(`${path}: ${error instanceof Error ? error.message : error}`);
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  return { latency: summarize(ttfb), errors, bytes, count: issued };
}

/** Resident memory of the server: server.ts's Node process. */
function readRssMB(server: PodspaceProcess): number {
  const pid = server.serverPid();
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1000;
}

/** The server's metrics whose lines match `pattern`. */
async function metricLines(port: number, pattern: RegExp): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${port}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (!response.ok) return [`/api/metrics answered ${response.status}`];
  return (await response.text()).split("\n").filter((line) => pattern.test(line));
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;
