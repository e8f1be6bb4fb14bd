import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sample } from "../test/helpers/metrics-text";
import { freePort } from "../test/helpers/net";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { startRoundRobinProxy, type RoundRobinProxy } from "../test/helpers/round-robin-proxy";
import { query } from "./database";
import { workspaceProcesses } from "../test/helpers/local-workspaces";
import { podspaceUrl, startPodspace, type PodspaceProcess } from "./harness";
import { METRICS_TOKEN, openTerminal, scrapeMetrics, seedWorkspace, workspaceState } from "./replicas";

// Two replicas behind a round-robin proxy with no session affinity. A
// terminal opened through one replica and resumed through the other gets its
// shell back (same process, scrollback replayed): the second replica forwards
// the socket to the first. When the replica holding the shell is killed, the
// reconnect gets a new shell and is told so.

describe("terminals across replicas", { timeout: 240_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let proxy: RoundRobinProxy;
  const replicas: PodspaceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-replicas-"));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await proxy?.close();
    for (const pid of await workspaceProcesses("termws")) process.kill(pid, "SIGKILL");
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("resumes a session through either replica, and says so when its replica died", async () => {
    const ports = [await freePort(), await freePort()];
    proxy = await startRoundRobinProxy(ports);
    const publicUrl = podspaceUrl(proxy.port);
    const env = { DATABASE_URL: database.url, PODSPACE_DATA_DIR: dataDir, PODSPACE_URL: publicUrl, PODSPACE_METRICS_TOKEN: METRICS_TOKEN };
    const [first, second] = await Promise.all(ports.map((port) => startPodspace({ env: { ...env, PORT: String(port) }, dataDir })));
    replicas.push(first!, second!);

    const seeded = await seedWorkspace(database.url, "term");
    /** The internal URL of the replica recorded as holding the session's shell. */
    const holder = async () =>
      (await query<{ replicaUrl: string }>(database.url, `SELECT "replicaUrl" FROM "TerminalSession" WHERE "workspaceId" = $1`, [seeded.workspaceId]))[0]?.replicaUrl;
    await expect.poll(() => workspaceState(database.url, seeded.workspaceId), { timeout: 60_000, interval: 200 }).toBe("RUNNING");

    // The proxy sends connections to the replicas in turn: the first terminal lands on `first`...
    const routedBefore = proxy.routed.length;
    const opened = await openTerminal(publicUrl, seeded.workspaceId, "tab-1", seeded.cookie);
    expect(proxy.routed[routedBefore]).toBe(ports[0]);
    opened.type("echo shell=$$\r");
    const shellPid = (await opened.waitFor(/shell=(\d+)\r?\n/))[1];
    await opened.close();
    await expect.poll(holder).toMatch(new RegExp(`:${ports[0]}$`));
    // ...and the reconnect on `second`, which forwards it to the shell on `first`.
    const resumed = await openTerminal(publicUrl, seeded.workspaceId, "tab-1", seeded.cookie);
    expect(proxy.routed.at(-1)).toBe(ports[1]);
    expect(resumed.ready.replayed).toBeGreaterThan(0);
    await resumed.waitFor(new RegExp(`shell=${shellPid}`));
    resumed.type("echo again=$$\r");
    expect((await resumed.waitFor(/again=(\d+)\r?\n/))[1]).toBe(shellPid);
    expect(sample(await scrapeMetrics(second!.url), "podspace_terminal_connections_total", { served: "forwarded" })).toBe(1);
    expect(sample(await scrapeMetrics(first!.url), "podspace_terminal_sessions")).toBe(1);
    await resumed.close();

    // The replica holding the shell dies: the next reconnect (on `second`, the
    // only one left) gets a new shell, with a notice instead of silence.
    await first!.stop("SIGKILL");
    const fresh = await openTerminal(publicUrl, seeded.workspaceId, "tab-1", seeded.cookie);
    expect(proxy.routed.at(-1)).toBe(ports[1]);
    expect(fresh.ready.replayed).toBe(0);
    await fresh.waitFor(/previous shell ended when the Podspace server holding it went away/);
    fresh.type("echo new=$$\r");
    expect((await fresh.waitFor(/new=(\d+)\r?\n/))[1]).not.toBe(shellPid);
    await fresh.close();
    await expect.poll(holder).toMatch(new RegExp(`:${ports[1]}$`));
  });
});
