// The REST API under agents' load: the production server (PostgreSQL, the
// local runtime, background loops running) and CLIENTS concurrent clients,
// each with its own token, creating WORKSPACES workspaces in all through
// POST /api/v1/workspaces, then deleting them. Latency is from request to
// the API's answer (the workspaces start in the background meanwhile, which
// is part of the load); once all run, each client runs `true` in each of its
// workspaces through POST /exec. The issue asks for p95 of create and exec.
//
//   npm run bench -- api   (BENCH_WORKSPACES=200, BENCH_CLIENTS=50,
//                           BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres)
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { Client } from "pg";
import { prepareDatabase } from "@/lib/db/prepare";
import { resolveLocalhostNames } from "@/lib/server/localhost-names";
import { startPodspace, type PodspaceProcess } from "../e2e/harness";
import { endLocalWorkspaces } from "../test/helpers/local-workspaces";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { TEST_SHARED_PATHS } from "../test/runtime/contract";
import { ensureBuild } from "./build";
import { summarize, type Summary } from "./stats";
import { healthCheckTemplate } from "../e2e/ide-template";

const TEMPLATE = healthCheckTemplate("bench", "Bench", { description: "", parameters: [] });

export async function benchApi(
  workspaces = Number(process.env.BENCH_WORKSPACES ?? 200),
  clients = Number(process.env.BENCH_CLIENTS ?? 50),
): Promise<Record<string, Summary>> {
  ensureBuild();
  // The server is at podspace.localhost (the default PODSPACE_URL), which this machine's resolver may not know.
  resolveLocalhostNames();
  const database = await createTestDatabase(process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  let server: PodspaceProcess | undefined;
  try {
    await prepareDatabase({ kind: "postgres", url: database.url });
    const tokens = await seed(database.url, clients);
    server = await startPodspace({
      env: { DATABASE_URL: database.url, PODSPACE_LOCAL_SHARED_PATHS: TEST_SHARED_PATHS.join(":"), PODSPACE_API_RATE_LIMIT: "100000" },
    });
    const url = server.url;
    const call = async (token: string, method: string, route: string, body?: unknown) => {
      const started = performance.now();
      const response = await fetch(`${url}/api/v1${route}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      const ms = performance.now() - started;
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 200)}`);
      return { ms, json: text ? (JSON.parse(text) as { id: string }) : null };
    };
    await call(tokens[0]!, "GET", "/templates"); // first compile and connections

    const created: Array<{ token: string; id: string }> = [];
    const createMs: number[] = [];
    const perClient = Math.ceil(workspaces / clients);
    await Promise.all(
      tokens.map(async (token, client) => {
        for (let n = 0; n < perClient && client * perClient + n < workspaces; n++) {
          const { ms, json } = await call(token, "POST", "/workspaces", { name: `bench-${client}-${n}`, template: TEMPLATE.slug });
          createMs.push(ms);
          created.push({ token, id: json!.id });
        }
      }),
    );
    console.log(`  created ${created.length} workspaces with ${clients} clients`);

    const listMs: number[] = [];
    await Promise.all(tokens.map(async (token) => listMs.push((await call(token, "GET", "/workspaces")).ms)));

    // Exec needs them running: each client then runs `true` in each of its workspaces.
    await allRunning(database.url, created.length);
    const execMs: number[] = [];
    await Promise.all(
      [...Map.groupBy(created, (entry) => entry.token)].map(async ([token, entries]) => {
        for (const { id } of entries) execMs.push((await call(token, "POST", `/workspaces/${id}/exec`, { command: ["true"] })).ms);
      }),
    );

    const deleteMs: number[] = [];
    await Promise.all(
      [...Map.groupBy(created, (entry) => entry.token)].map(async ([token, entries]) => {
        for (const { id } of entries) deleteMs.push((await call(token, "DELETE", `/workspaces/${id}`)).ms);
      }),
    );
    return {
      [`POST /workspaces (${created.length} by ${clients} clients)`]: summarize(createMs),
      [`GET /workspaces (${clients} at once)`]: summarize(listMs),
      [`DELETE /workspaces/<id> (${deleteMs.length})`]: summarize(deleteMs),
      [`POST /workspaces/<id>/exec true (${execMs.length}, ${clients} clients)`]: summarize(execMs),
    };
  } finally {
    if (server) {
      await server.stop();
      await endLocalWorkspaces(server.dataDir);
    }
    await database.drop();
  }
}

/** Waits until `count` workspaces run (their sandboxes up), however long 200 starts take on this machine. */
async function allRunning(url: string, count: number): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    for (;;) {
      const { rows } = await db.query<{ running: number; failed: number }>(
        `SELECT count(*) FILTER (WHERE state = 'RUNNING')::int AS running, count(*) FILTER (WHERE state = 'FAILED')::int AS failed FROM "Workspace"`,
      );
      const { running, failed } = rows[0]!;
      if (failed > 0) throw new Error(`${failed} workspaces failed to start`);
      if (running >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    await db.end();
  }
}

/** A team with one member per client, each with a token; a template; no quota. Returns the tokens. */
async function seed(url: string, clients: number): Promise<string[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const teamId = randomUUID();
    await db.query(`INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES ($1, 'bench', 'Bench', now())`, [teamId]);
    const templateId = randomUUID();
    await db.query(`INSERT INTO "Template" (id, slug, name, description, tags, "updatedAt") VALUES ($1, $2, $3, '', '{}', now())`, [templateId, TEMPLATE.slug, TEMPLATE.name]);
    await db.query(`INSERT INTO "TemplateVersion" (id, "templateId", version, spec) VALUES ($1, $2, 1, $3)`, [randomUUID(), templateId, JSON.stringify(TEMPLATE)]);
    const tokens: string[] = [];
    for (let client = 0; client < clients; client++) {
      const userId = randomUUID();
      await db.query(`INSERT INTO "User" (id, email, name, "updatedAt") VALUES ($1, $2, $3, now())`, [userId, `agent${client}@bench.test`, `Agent ${client}`]);
      await db.query(`INSERT INTO "Membership" (id, "userId", "teamId", role, "updatedAt") VALUES ($1, $2, $3, 'MEMBER', now())`, [randomUUID(), userId, teamId]);
      // As createApiToken makes them: the secret's SHA-256 is all that is stored.
      const token = `pds_${randomBytes(32).toString("base64url")}`;
      await db.query(
        `INSERT INTO "ApiToken" (id, "userId", name, prefix, "secretHash", scopes, "workspaceIds", "expiresAt") VALUES ($1, $2, 'bench', $3, $4, $5, '{}', now() + interval '1 day')`,
        [randomUUID(), userId, token.slice(0, 12), createHash("sha256").update(token).digest("hex"), ["read", "workspaces:write", "exec"]],
      );
      tokens.push(token);
    }
    return tokens;
  } finally {
    await db.end();
  }
}
