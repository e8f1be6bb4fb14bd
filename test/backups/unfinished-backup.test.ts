import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backUpBeforeDelete } from "@/lib/backups/backup-before-delete";
import { createBackupLoop } from "@/lib/backups/backup-loop";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import type { HomeToolRun, WorkspaceRuntime } from "@/lib/runtime/types";
import { runtimeSpecInclude, toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { useAppDatabase } from "../helpers/app-database";
import { createFleetOwner, type FleetOwner } from "../helpers/fleet";
import { backupEnvFor, startS3Server, type TestS3Server } from "../helpers/s3-server";

// A backup whose outcome the database failed to record (a timeout, a dropped
// connection) must not stay RUNNING: nothing would take it again until the
// next leader, and a delete waiting on it would wait as long. On a real
// database and a real S3-protocol store; the runtime, which only has to run
// "restic backup" beside the home, answers with restic's summary line.

useAppDatabase();

describe("a backup whose outcome the database failed to record", () => {
  let s3: TestS3Server;
  let owner: FleetOwner;
  const runtime = {
    kind: "local",
    status: async () => ({ state: "stopped" }),
    runOnHome: async (_spec: unknown, run: HomeToolRun) => {
      // The store's repository is real (ensureRepository made it); the snapshot is the runtime's to report.
      run.onStdoutLine(JSON.stringify({ message_type: "summary", snapshot_id: "0123abcd", total_files_processed: 1, total_bytes_processed: 1, data_added: 1 }));
      return { exitCode: 0, stderr: "" };
    },
  } as unknown as WorkspaceRuntime;

  beforeAll(async () => {
    s3 = await startS3Server();
    Object.assign(env, backupEnvFor(s3, "unfinished"));
    owner = await createFleetOwner("unfinished");
    await getDb().$executeRawUnsafe(`CREATE SEQUENCE backup_outcome_writes`);
    // The next write of a backup's outcome fails, as a statement the database cancelled would; nextval is outside the rollback.
    await getDb().$executeRawUnsafe(`
      CREATE FUNCTION fail_first_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW."status" IN ('SUCCEEDED', 'FAILED') AND nextval('backup_outcome_writes') = 1 THEN
          RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = 'query_canceled';
        END IF;
        RETURN NEW;
      END $$`);
    await getDb().$executeRawUnsafe(`CREATE TRIGGER fail_first_outcome BEFORE UPDATE ON "Backup" FOR EACH ROW EXECUTE FUNCTION fail_first_outcome()`);
  });
  afterAll(async () => {
    await s3?.close();
  });
  beforeEach(async () => {
    await getDb().$executeRawUnsafe(`ALTER SEQUENCE backup_outcome_writes RESTART`);
  });

  async function workspace(name: string, state: "RUNNING" | "DELETING", desiredState: "RUNNING" | "DELETED") {
    const hourAgo = new Date(Date.now() - 3_600_000);
    return getDb().workspace.create({
      data: {
        name,
        ownerId: owner.ownerId,
        teamId: owner.teamId,
        templateVersionId: owner.templateVersionId,
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
        state,
        desiredState,
        startedAt: hourAgo,
        stoppedAt: state === "DELETING" ? new Date() : null,
      },
      include: runtimeSpecInclude,
    });
  }

  it("goes back to the backup loop's queue, not left RUNNING until the next leader", async () => {
    const running = await workspace("running", "RUNNING", "RUNNING");
    const backup = await getDb().backup.create({ data: { workspaceId: running.id, teamId: owner.teamId, reason: "MANUAL" } });
    // First in the file: the loop's first pass takes every backup left RUNNING before it started.
    // No periodic pass within the test: only what the loop does on its own.
    const loop = createBackupLoop(runtime, { intervalMs: 600_000, upkeepIntervalMs: 600_000 });
    loop.start();
    try {
      const status = async () => (await getDb().backup.findUniqueOrThrow({ where: { id: backup.id } })).status;
      await expect.poll(status, { timeout: 20_000, interval: 100 }).toBe("SUCCEEDED");
    } finally {
      await loop.stop();
    }
  });

  it("is taken again before a delete, instead of keeping the workspace waiting on it", async () => {
    const deleted = await workspace("deleted", "DELETING", "DELETED");
    const deps = { db: getDb(), runtime };
    await expect(backUpBeforeDelete(deleted, toRuntimeSpec(deleted), deps)).rejects.toThrow(/statement timeout/);
    // The reconciler's next try, once its backoff is over: the backup is taken, not waited for.
    await backUpBeforeDelete(deleted, toRuntimeSpec(deleted), deps);
    const backups = await getDb().backup.findMany({ where: { workspaceId: deleted.id } });
    expect(backups).toMatchObject([{ reason: "DELETE", status: "SUCCEEDED", snapshotId: "0123abcd" }]);
  });
});
