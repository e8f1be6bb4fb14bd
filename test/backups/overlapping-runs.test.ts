import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backUpBeforeDelete } from "@/lib/backups/backup-before-delete";
import { createBackupLoop } from "@/lib/backups/backup-loop";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import type { HomeToolRun, WorkspaceRuntime } from "@/lib/runtime/types";
import { runtimeSpecInclude, toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { useAppDatabase } from "../helpers/app-database";
import { createFleetOwner } from "../helpers/fleet";
import { backupEnvFor, startS3Server, type TestS3Server } from "../helpers/s3-server";

// Leadership can move while the old leader still runs a backup: it lost its
// lock (a dropped connection) and waits for its backups before it stops. The
// new leader's backup loop requeues what it finds RUNNING and runs it again.
// The two runs must not both count: the old one must neither overwrite the
// new one's outcome nor, before a delete, let its reconciler destroy the home
// while the new one still reads it. On a real database and S3 store; the
// runtime's "restic backup" ends when the test says, with the snapshot it names.

useAppDatabase();

describe("a backup run twice at once, by a demoted leader and the new one", () => {
  let s3: TestS3Server;
  /** The runs under way, each waiting for the snapshot id it is to report. */
  const runs: Array<(snapshotId: string) => void> = [];
  const runtime = {
    kind: "local",
    status: async () => ({ state: "stopped" }),
    runOnHome: (_spec: unknown, run: HomeToolRun) =>
      new Promise((resolve) =>
        runs.push((snapshotId) => {
          run.onStdoutLine(JSON.stringify({ message_type: "summary", snapshot_id: snapshotId, total_files_processed: 1, total_bytes_processed: 1, data_added: 1 }));
          resolve({ exitCode: 0, stderr: "" });
        }),
      ),
  } as unknown as WorkspaceRuntime;

  beforeAll(async () => {
    s3 = await startS3Server();
    Object.assign(env, backupEnvFor(s3, "overlapping"));
  });
  afterAll(async () => {
    await s3?.close();
  });

  it("keeps the new leader's outcome, and the old leader's delete waits for it", async () => {
    const owner = await createFleetOwner("overlapping");
    const deleted = await getDb().workspace.create({
      data: {
        name: "deleted",
        ownerId: owner.ownerId,
        teamId: owner.teamId,
        templateVersionId: owner.templateVersionId,
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
        state: "DELETING",
        desiredState: "DELETED",
        startedAt: new Date(Date.now() - 3_600_000),
        stoppedAt: new Date(),
      },
      include: runtimeSpecInclude,
    });
    // The old leader's reconciler takes the final backup.
    const oldLeaders = backUpBeforeDelete(deleted, toRuntimeSpec(deleted), { db: getDb(), runtime });
    oldLeaders.catch(() => {});
    await expect.poll(() => runs.length, { timeout: 20_000 }).toBe(1);

    // The new leader's backup loop requeues it and runs it again.
    const loop = createBackupLoop(runtime, { intervalMs: 600_000, upkeepIntervalMs: 600_000 });
    loop.start();
    try {
      await expect.poll(() => runs.length, { timeout: 20_000 }).toBe(2);
      runs[0]!("0ld0ld00");
      // Not a destroy: the new leader's run still reads the home.
      await expect(oldLeaders).rejects.toThrow(/under way/);
      runs[1]!("11e111e1");
      const backup = async () => getDb().backup.findFirstOrThrow({ where: { workspaceId: deleted.id } });
      await expect.poll(async () => (await backup()).status, { timeout: 20_000 }).toBe("SUCCEEDED");
      expect(await backup()).toMatchObject({ reason: "DELETE", snapshotId: "11e111e1" });
      expect(await getDb().auditLog.count({ where: { action: "backup.taken" } })).toBe(1);
    } finally {
      // A run left waiting would hold the loop's stop.
      runs[1]?.("11e111e1");
      await loop.stop();
    }
  });
});
