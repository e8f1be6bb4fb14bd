import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sample } from "../test/helpers/metrics-text";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { workspaceProcesses } from "../test/helpers/local-workspaces";
import { startPodspace, type PodspaceProcess } from "./harness";
import { METRICS_TOKEN, openTerminal, scrapeMetrics, seedWorkspace, workspaceState } from "./replicas";
import { waitForIdeReady } from "./workspace-terminal";

// /api/metrics on the real production server, after the things it measures
// happened for real: a workspace started by the reconciler, a terminal, IDE
// traffic through the proxy, page requests. And the access log: request ids,
// no secrets.

describe("metrics and logs", { timeout: 180_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let podspace: PodspaceProcess;

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-metrics-"));
    // The IDE on Podspace's origin, so one cookie reaches it and its proxied bytes are counted in one request.
    podspace = await startPodspace({ env: { DATABASE_URL: database.url, PODSPACE_METRICS_TOKEN: METRICS_TOKEN, PODSPACE_IDE_HOST: "same-origin" }, dataDir });
  });
  afterAll(async () => {
    await podspace?.stop();
    for (const pid of await workspaceProcesses("metricsws")) process.kill(pid, "SIGKILL");
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("refuses scrapes without the bearer token", async () => {
    expect((await fetch(`${podspace.url}/api/metrics`)).status).toBe(401);
    expect((await fetch(`${podspace.url}/api/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
  });

  it("exports every series the dashboard and the issue list, with real values", async () => {
    const seeded = await seedWorkspace(database.url, "metrics");
    await expect.poll(() => workspaceState(database.url, seeded.workspaceId), { timeout: 60_000, interval: 200 }).toBe("RUNNING");

    const terminal = await openTerminal(podspace.url, seeded.workspaceId, "m1", seeded.cookie);
    terminal.type("echo metered\r");
    await terminal.waitFor(/^metered\r*$/m);
    // RUNNING is the shell's; the IDE comes up after it.
    await waitForIdeReady(database.url, podspace, seeded.workspaceId);
    const ide = await fetch(`${podspace.url}/w/${seeded.workspaceId}/ide/healthz`, { headers: { cookie: seeded.cookie } });
    expect(ide.status).toBe(200);
    expect((await fetch(`${podspace.url}/login`)).status).toBe(200);

    // A request is timed when its response finishes on the server, which can be just after the client has it.
    await expect
      .poll(async () => sample(await scrapeMetrics(podspace.url), "podspace_http_request_duration_seconds_count", { route: "/login", method: "GET", status: "2xx" }))
      .toBe(1);
    const text = await scrapeMetrics(podspace.url);
    expect(sample(text, "podspace_workspaces", { state: "RUNNING" })).toBe(1);
    expect(sample(text, "podspace_workspaces", { state: "STOPPED" })).toBe(0);
    expect(sample(text, "podspace_workspace_start_duration_seconds_count")).toBe(1);
    expect(sample(text, "podspace_terminal_sessions")).toBe(1);
    expect(sample(text, "podspace_terminal_connections_total", { served: "local" })).toBe(1);
    expect(sample(text, "podspace_proxy_bytes_total", { channel: "terminal", direction: "upstream" })).toBe("echo metered\r".length);
    expect(sample(text, "podspace_proxy_bytes_total", { channel: "terminal", direction: "downstream" })).toBeGreaterThan(0);
    expect(sample(text, "podspace_proxy_bytes_total", { channel: "ide", direction: "downstream" })).toBeGreaterThan(0);
    // Quota rejections happen in server actions; test/quotas/quota-race.test.ts counts them. Here: exported.
    expect(text).toContain("# TYPE podspace_quota_rejections_total counter");
    expect(sample(text, "podspace_reconcile_errors_total")).toBe(0);
    expect(sample(text, "podspace_loop_lag_seconds", { loop: "reconcile" })).toBeGreaterThanOrEqual(0);
    expect(sample(text, "podspace_loop_lag_seconds", { loop: "policy" })).toBeGreaterThanOrEqual(0);
    expect(sample(text, "podspace_loop_lag_seconds", { loop: "usage" })).toBeGreaterThanOrEqual(0);
    // Each pool (at its default size) timed its checkouts: pages for the requests above, background for the loops' passes.
    for (const [pool, size] of [["pages", 10], ["background", 5]] as const) {
      expect(sample(text, "podspace_db_pool_wait_seconds_count", { pool })).toBeGreaterThan(0);
      expect(sample(text, "podspace_db_pool_waiting_requests", { pool })).toBe(0);
      const connections = (state: string) => sample(text, "podspace_db_pool_connections", { pool, state });
      expect(connections("in_use")).toBeGreaterThanOrEqual(0);
      expect(connections("idle")).toBeGreaterThanOrEqual(0);
      expect(connections("in_use")! + connections("idle")!).toBeLessThanOrEqual(size);
    }
    expect(sample(text, "podspace_leader")).toBe(1);
    expect(sample(text, "podspace_build_info")).toBe(1);
    expect(sample(text, "podspace_http_request_duration_seconds_count", { route: "/login", method: "GET", status: "2xx" })).toBe(1);
    expect(sample(text, "podspace_http_request_duration_seconds_count", { route: "/w/[id]/ide/*", method: "GET", status: "2xx" })).toBe(1);
    expect(sample(text, "nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
    await terminal.close();
  });

  it("logs JSON lines with request ids and without secrets", async () => {
    const seeded = { cookie: "authjs.session-token=not-a-real-session-but-secret-looking" };
    const response = await fetch(`${podspace.url}/teams?code=oidc-code-secret`, { headers: { cookie: seeded.cookie, "x-request-id": "e2e-request-42" } });
    expect(response.headers.get("x-request-id")).toBe("e2e-request-42");
    const generated = (await fetch(`${podspace.url}/login`)).headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    await expect.poll(() => podspace.output()).toContain('"e2e-request-42"');
    await expect.poll(() => podspace.output()).toContain(`"${generated}"`);
    const lines = podspace
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: number; msg: string; req?: { id: string; path: string } });
    const access = lines.find((line) => line.req?.id === "e2e-request-42");
    expect(access).toMatchObject({ req: { method: "GET", path: "/teams" }, res: { statusCode: expect.any(Number) } });
    const output = podspace.output();
    expect(output).not.toContain("not-a-real-session-but-secret-looking");
    expect(output).not.toContain("oidc-code-secret");
    expect(output).not.toContain(METRICS_TOKEN);
    expect(output).not.toContain(database.url);
  });
});
