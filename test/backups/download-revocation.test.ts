import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as sessionDownload } from "@/app/api/backups/[id]/download/route";
import { GET as apiDownload } from "@/app/api/v1/backups/[id]/download/route";
import { createApiToken, revokeApiToken } from "@/lib/api-tokens/tokens";
import { runBackup } from "@/lib/backups/backup-workspace";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import type { User } from "@/lib/generated/prisma/client";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { changeMemberRole } from "@/lib/teams/change-member-role";
import { runtimeSpecInclude, toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, createSession, createTeamWith, createUser, sessionCookie } from "../helpers/identity";
import { endLocalWorkspaces } from "../helpers/local-workspaces";
import { serveRoute, type RouteServer } from "../helpers/route-server";
import { TEST_TEMPLATE } from "../helpers/test-template";
import { TEST_SHARED_PATHS } from "../runtime/contract";

// A download out of a backup streams a whole home folder for as long as its
// client takes to read it. Over real HTTP (served as Next.js serves route
// handlers, no faster than the client reads), with real sessions, tokens and
// restic: once the requester loses access midway, restic is killed and the
// download breaks within seconds, even while the client isn't reading.

useAppDatabase();

/** How soon a download must stop once its requester has lost access. */
const REVOCATION_DEADLINE_MS = 5_000;
/** Random, so restic can't shrink it: far more than the pipes and sockets between restic and the client hold. */
const FILE_BYTES = 64 << 20;

interface PausedDownload {
  /** Resumes reading; resolves with what arrived and whether the response ended complete. */
  finish(): Promise<{ bytes: number; complete: boolean }>;
}

/** Starts a download and stops reading it after its first bytes, as a slow client would. */
function startDownload(url: string, headers: Record<string, string>): Promise<PausedDownload> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`the download was refused with ${response.statusCode}`));
      let bytes = 0;
      const ended = new Promise<{ bytes: number; complete: boolean }>((done) => response.once("close", () => done({ bytes, complete: response.complete })));
      response.on("error", () => {});
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.once("data", () => {
        response.pause();
        resolve({ finish: () => (response.resume(), ended) });
      });
    });
    request.once("error", reject);
  });
}

/** Whether a restic dump of `snapshotId` is running (the download's restic). */
function dumping(snapshotId: string): boolean {
  return execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
    .split("\n")
    .some((line) => line.startsWith("restic ") && line.includes(` dump ${snapshotId} `));
}

describe("a backup download whose requester loses access midway", { timeout: 120_000 }, () => {
  let runtime: WorkspaceRuntime;
  let servers: { session: RouteServer; api: RouteServer };
  let owner: User;
  let teamOwner: User;
  let admin: User;
  let teamId: string;
  let backupId: string;
  let snapshotId: string;

  beforeAll(async () => {
    const dataDir = env.PODSPACE_DATA_DIR;
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    [owner, teamOwner, admin] = await Promise.all([createUser("owner@download.test"), createUser("boss@download.test"), createUser("admin@download.test")]);
    teamId = (
      await createTeamWith("download", [
        [owner, "MEMBER"],
        [teamOwner, "OWNER"],
        [admin, "ADMIN"],
      ])
    ).id;
    const template = await getDb().template.create({ data: { slug: "test", name: "Test", versions: { create: { version: 1, spec: TEST_TEMPLATE as object } } }, include: { versions: true } });
    const workspace = await getDb().workspace.create({
      data: { name: "big", ownerId: owner.id, teamId, templateVersionId: template.versions[0]!.id, parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} }, state: "STOPPED" },
      include: runtimeSpecInclude,
    });
    await runtime.provision(toRuntimeSpec(workspace));
    await fs.writeFile(path.join(dataDir, "workspaces", workspace.id, "big.bin"), randomBytes(FILE_BYTES), { mode: 0o644 });
    const backup = await getDb().backup.create({ data: { workspaceId: workspace.id, teamId, reason: "MANUAL", status: "RUNNING", startedAt: new Date() } });
    expect(await runBackup(backup.id, { db: getDb(), runtime })).toBe("SUCCEEDED");
    backupId = backup.id;
    snapshotId = (await getDb().backup.findUniqueOrThrow({ where: { id: backup.id } })).snapshotId!;
    servers = {
      session: await serveRoute("/api/backups/:id/download", sessionDownload as never),
      api: await serveRoute("/api/v1/backups/:id/download", apiDownload as never),
    };
  }, 120_000);
  afterAll(async () => {
    await servers?.session.close();
    await servers?.api.close();
    await runtime?.close();
    await endLocalWorkspaces(env.PODSPACE_DATA_DIR);
  });

  /** restic is gone within the deadline, counted from now (just after access was taken away), and the download breaks short. */
  async function expectStopped(download: PausedDownload) {
    const since = Date.now();
    await expect.poll(() => dumping(snapshotId), { timeout: REVOCATION_DEADLINE_MS + 1_000, interval: 100 }).toBe(false);
    expect(Date.now() - since).toBeLessThan(REVOCATION_DEADLINE_MS);
    const { bytes, complete } = await download.finish();
    expect(complete).toBe(false);
    expect(bytes).toBeLessThan(FILE_BYTES);
  }

  it("completes for a requester who keeps access, however long the client pauses", async () => {
    const download = await startDownload(`${servers.session.base}/api/backups/${backupId}/download?path=big.bin`, { cookie: sessionCookie(await createSession(admin)) });
    await new Promise((resolve) => setTimeout(resolve, REVOCATION_DEADLINE_MS));
    expect(dumping(snapshotId)).toBe(true);
    expect(await download.finish()).toEqual({ bytes: FILE_BYTES, complete: true });
  });

  it("stops the session's download of a team admin demoted to member", async () => {
    const download = await startDownload(`${servers.session.base}/api/backups/${backupId}/download?path=big.bin`, { cookie: sessionCookie(await createSession(admin)) });
    expect(dumping(snapshotId)).toBe(true);
    await changeMemberRole(await actorFor(teamOwner), { teamId, userId: admin.id, role: "MEMBER" });
    try {
      await expectStopped(download);
    } finally {
      await changeMemberRole(await actorFor(teamOwner), { teamId, userId: admin.id, role: "ADMIN" });
    }
  });

  it("stops the API's download once its token is revoked", async () => {
    const token = await createApiToken(await actorFor(owner), { name: "download", days: 1, scopes: ["exec"] });
    const download = await startDownload(`${servers.api.base}/api/v1/backups/${backupId}/download?path=big.bin`, { authorization: `Bearer ${token.token}` });
    expect(dumping(snapshotId)).toBe(true);
    await revokeApiToken(await actorFor(owner), { tokenId: token.id });
    await expectStopped(download);
  });
});
