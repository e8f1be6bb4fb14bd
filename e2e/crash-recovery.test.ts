import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { query, wakeReconciler } from "./database";
import { workspaceProcesses } from "../test/helpers/local-workspaces";
import { startPodspace, type PodspaceProcess } from "./harness";
import { HEALTH_CHECK_IDE } from "./ide-template";

// Podspace killed with SIGKILL in the middle of provisioning a workspace:
// after a restart the workspace converges to RUNNING with exactly one IDE
// process, and nothing is stuck.

const SPEC = {
  slug: "slow-start",
  name: "Slow start",
  image: "podspace/test-ide:1",
  resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  // Long enough to be killed in the middle of it.
  startupScript: "sleep 4",
  ide: HEALTH_CHECK_IDE,
};

describe("crash recovery", { timeout: 180_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let podspace: PodspaceProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-crash-"));
  });
  afterAll(async () => {
    await podspace?.stop();
    // The IDE outlives the server by design; don't leave it behind the test.
    for (const pid of await workspaceProcesses("crashws")) process.kill(pid, "SIGKILL");
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const stateOf = async (id: string) => (await query<{ state: string }>(database.url, `SELECT state FROM "Workspace" WHERE id = $1`, [id]))[0]!.state;

  it("converges a workspace whose provisioning was cut short by SIGKILL", async () => {
    const env = { DATABASE_URL: database.url };
    podspace = await startPodspace({ env, dataDir });

    const [owner] = await query<{ id: string }>(database.url, `INSERT INTO "User" (id, email, "updatedAt") VALUES ('crash-owner', 'owner@crash.test', now()) RETURNING id`);
    await query(database.url, `INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES ('crash-team', 'crash', 'Crash', now())`);
    await query(database.url, `INSERT INTO "Membership" (id, "teamId", "userId", role, "updatedAt") VALUES ('crash-m', 'crash-team', $1, 'OWNER', now())`, [owner!.id]);
    await query(database.url, `INSERT INTO "Template" (id, slug, name, "updatedAt") VALUES ('crash-t', 'slow-start', 'Slow start', now())`);
    await query(database.url, `INSERT INTO "TemplateVersion" (id, "templateId", version, spec) VALUES ('crash-v', 'crash-t', 1, $1)`, [JSON.stringify(SPEC)]);
    const [workspace] = await query<{ id: string }>(
      database.url,
      `INSERT INTO "Workspace" (id, name, "ownerId", "teamId", "templateVersionId", parameters, "updatedAt")
       VALUES ('crashws', 'crash', $1, 'crash-team', 'crash-v', '{"cpu":1,"memoryGiB":1,"diskGiB":1,"values":{}}', now()) RETURNING id`,
      [owner!.id],
    );

    // The leader's reconciler, woken as by a user's change, starts it;
    // Podspace dies while the workspace's startup script still runs (its
    // shell is usable by then, its IDE not yet).
    await wakeReconciler(database.url, workspace!.id);
    await expect.poll(() => workspaceProcesses(workspace!.id), { timeout: 30_000, interval: 50 }).not.toEqual([]);
    expect((await podspace.stop("SIGKILL")).code).toBeNull();

    podspace = await startPodspace({ env, dataDir });
    await expect.poll(() => stateOf(workspace!.id), { timeout: 60_000, interval: 200 }).toBe("RUNNING");
    expect(await workspaceProcesses(workspace!.id)).toHaveLength(1);
    const states = await query<{ to: string }>(
      database.url,
      `SELECT data->>'to' AS "to" FROM "WorkspaceEvent" WHERE "workspaceId" = $1 AND step = 'state' ORDER BY "createdAt"`,
      [workspace!.id],
    );
    expect(states.map((row) => row.to).filter((to) => to !== "STARTING")).toEqual(["RUNNING"]);
  });
});
