import { randomBytes } from "node:crypto";
import { WebSocket } from "ws";
import { query, wakeReconciler } from "./database";
import { HEALTH_CHECK_IDE } from "./ide-template";

// Helpers for tests that run several Podspace processes on one PostgreSQL
// database: a signed-in user with a running workspace seeded through SQL,
// a terminal client, and Prometheus scrapes.

export const METRICS_TOKEN = "e2e-metrics-token-0123456789";

/** A user (with a database session, as after sign-in), their team and a workspace the leader will start. */
export async function seedWorkspace(databaseUrl: string, prefix: string) {
  const spec = {
    slug: `${prefix}-tpl`,
    name: "Replicas",
    image: "podspace/test-ide:1",
    resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
    startupScript: "",
    ide: HEALTH_CHECK_IDE,
  };
  const userId = `${prefix}-user`;
  const sessionToken = randomBytes(24).toString("base64url");
  await query(databaseUrl, `INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $2, now())`, [userId, `${prefix}@replicas.test`]);
  await query(databaseUrl, `INSERT INTO "Session" (id, "sessionToken", "userId", expires, "updatedAt") VALUES ($1, $2, $3, now() + interval '1 day', now())`, [
    `${prefix}-session`,
    sessionToken,
    userId,
  ]);
  await query(databaseUrl, `INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES ($1, $2, 'Replicas', now())`, [`${prefix}-team`, prefix]);
  await query(databaseUrl, `INSERT INTO "Membership" (id, "teamId", "userId", role, "updatedAt") VALUES ($1, $2, $3, 'OWNER', now())`, [
    `${prefix}-m`,
    `${prefix}-team`,
    userId,
  ]);
  await query(databaseUrl, `INSERT INTO "Template" (id, slug, name, "updatedAt") VALUES ($1, $2, 'Replicas', now())`, [`${prefix}-t`, spec.slug]);
  await query(databaseUrl, `INSERT INTO "TemplateVersion" (id, "templateId", version, spec) VALUES ($1, $2, 1, $3)`, [`${prefix}-v`, `${prefix}-t`, JSON.stringify(spec)]);
  const workspaceId = `${prefix}ws`;
  await query(
    databaseUrl,
    `INSERT INTO "Workspace" (id, name, "ownerId", "teamId", "templateVersionId", parameters, "updatedAt")
     VALUES ($1, 'replicas', $2, $3, $4, '{"cpu":1,"memoryGiB":1,"diskGiB":1,"values":{}}', now())`,
    [workspaceId, userId, `${prefix}-team`, `${prefix}-v`],
  );
  await wakeReconciler(databaseUrl, workspaceId);
  return { userId, workspaceId, cookie: `authjs.session-token=${sessionToken}` };
}

export async function workspaceState(databaseUrl: string, workspaceId: string): Promise<string> {
  return (await query<{ state: string }>(databaseUrl, `SELECT state FROM "Workspace" WHERE id = $1`, [workspaceId]))[0]!.state;
}

export interface TerminalClient {
  ready: { session: string; replayed: number };
  /** Everything received so far, escape sequences removed. */
  output(): string;
  type(text: string): void;
  /** Resolves with the first match of `pattern` in the output (received so far or later). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  close(): Promise<void>;
}

/** Opens a workspace's terminal WebSocket at `baseUrl` as a browser on that origin would. */
export function openTerminal(baseUrl: string, workspaceId: string, session: string, cookie: string): Promise<TerminalClient> {
  const url = new URL(`/api/workspaces/${workspaceId}/terminal?session=${session}`, baseUrl);
  url.protocol = "ws:";
  const socket = new WebSocket(url, { headers: { cookie, origin: new URL(baseUrl).origin } });
  let output = "";
  const listeners = new Set<() => void>();
  return new Promise((resolve, reject) => {
    socket.once("unexpected-response", (_request, response) => reject(new Error(`terminal refused with ${response.statusCode}`)));
    socket.once("error", reject);
    socket.once("close", (code, reason) => reject(new Error(`terminal closed ${code} ${reason.toString()}`)));
    socket.on("message", (data, isBinary) => {
      if (!isBinary) {
        const message = JSON.parse(data.toString()) as { type: string; session: string; replayed: number };
        if (message.type === "ready") resolve(client({ session: message.session, replayed: message.replayed }));
        return;
      }
      output += data.toString().replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g, "");
      for (const listener of listeners) listener();
    });
  });

  function client(ready: TerminalClient["ready"]): TerminalClient {
    return {
      ready,
      output: () => output,
      type: (text) => socket.send(Buffer.from(text), { binary: true }),
      waitFor: (pattern, timeoutMs = 15_000) =>
        new Promise((resolve, reject) => {
          const check = () => {
            const match = output.match(pattern);
            if (!match) return;
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          };
          const timer = setTimeout(() => {
            listeners.delete(check);
            reject(new Error(`no ${pattern} in terminal output:\n${output}`));
          }, timeoutMs);
          listeners.add(check);
          check();
        }),
      close: () =>
        new Promise((resolve) => {
          socket.removeAllListeners("close");
          socket.once("close", () => resolve());
          socket.close(1000);
        }),
    };
  }
}

/** GET /api/metrics with the token, as Prometheus scrapes it. */
export async function scrapeMetrics(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (!response.ok) throw new Error(`GET /api/metrics: ${response.status}`);
  return response.text();
}
