import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restic, runRestic } from "@/lib/backups/restic";
import type { BackupStore } from "@/lib/backups/store";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import { workspaceUid } from "@/lib/runtime/local/workspace-uids";
import { WORKSPACE_HOME, type WorkspaceRuntime } from "@/lib/runtime/types";
import { contractSpec, TEST_SHARED_PATHS } from "../runtime/contract";
import { startS3Server, type TestS3Server } from "../helpers/s3-server";

// restic run beside a local workspace's home (runtime.runOnHome), against a
// real S3-protocol server: a backup sees the home and nothing else of the
// host's, a restore writes into another workspace's home as that
// workspace's files, and the team's key is the only way in.

describe("restic on a local workspace's home", () => {
  let dataDir: string;
  let runtime: WorkspaceRuntime;
  let s3: TestS3Server;
  let store: BackupStore;
  const source = contractSpec("bkpsource");
  const target = contractSpec("bkptarget");
  const homeOf = (id: string) => path.join(dataDir, "workspaces", id);

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-backup-"));
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    s3 = await startS3Server();
    store = { kind: "s3", endpoint: s3.endpoint, bucket: s3.bucket, prefix: "test", region: "us-east-1", pathStyle: true, caFile: s3.caFile };
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    await runtime.provision(source);
    await runtime.provision(target);
  });
  afterAll(async () => {
    await runtime.destroy(source);
    await runtime.destroy(target);
    await runtime.close();
    await s3.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("backs a home up and restores it into another, files, modes, symlinks and empty folders alike", async () => {
    const home = homeOf(source.id);
    await fs.mkdir(path.join(home, "src", "empty"), { recursive: true });
    await fs.writeFile(path.join(home, "src", "main.ts"), "console.log('hi')\n");
    await fs.writeFile(path.join(home, "run.sh"), "#!/bin/sh\necho run\n", { mode: 0o750 });
    await fs.symlink("src/main.ts", path.join(home, "link"));
    await fs.mkdir(path.join(home, "node_modules", "dep"), { recursive: true });
    await fs.writeFile(path.join(home, "node_modules", "dep", "index.js"), "x");

    await runRestic(restic(store, "team-a", ["init"]), "init");
    const lines: string[] = [];
    const backup = await runtime.runOnHome(source, {
      ...restic(store, "team-a", ["backup", "--json", "--exclude", "node_modules", WORKSPACE_HOME]),
      access: "read",
      onStdoutLine: (line) => lines.push(line),
    });
    expect(backup.exitCode, backup.stderr).toBe(0);
    const summary = lines.map((line) => JSON.parse(line) as { message_type: string; snapshot_id?: string }).find((line) => line.message_type === "summary");
    expect(summary?.snapshot_id).toMatch(/^[0-9a-f]{8,64}$/);

    const restore = await runtime.runOnHome(target, {
      ...restic(store, "team-a", ["restore", summary!.snapshot_id!, "--target", "/"]),
      access: "write",
      onStdoutLine: () => {},
    });
    expect(restore.exitCode, restore.stderr).toBe(0);
    const restored = homeOf(target.id);
    expect(await fs.readFile(path.join(restored, "src", "main.ts"), "utf8")).toBe("console.log('hi')\n");
    expect((await fs.stat(path.join(restored, "run.sh"))).mode & 0o777).toBe(0o750);
    expect(await fs.readlink(path.join(restored, "link"))).toBe("src/main.ts");
    expect((await fs.stat(path.join(restored, "src", "empty"))).isDirectory()).toBe(true);
    await expect(fs.access(path.join(restored, "node_modules"))).rejects.toThrow();
    // The restored files are the target workspace's, not the source's.
    const uid = await workspaceUid(dataDir, target.id);
    if (uid !== null) expect((await fs.lstat(path.join(restored, "src", "main.ts"))).uid).toBe(uid);
  });

  it("sees only the home: the host's data dir and other workspaces are not there", async () => {
    const lines: string[] = [];
    const probe = await runtime.runOnHome(source, {
      command: ["/bin/sh", "-c", `ls ${dataDir} 2>&1; ls ${homeOf(target.id)} 2>&1; ls ${WORKSPACE_HOME}`],
      env: {},
      hostPaths: [],
      access: "read",
      onStdoutLine: (line) => lines.push(line),
    });
    expect(probe.exitCode).toBe(0);
    expect(lines.filter((line) => line.includes("No such file or directory"))).toHaveLength(2);
    expect(lines).toContain("run.sh");
  });

  it("can't write to the home when it only reads it (a backup)", async () => {
    const probe = await runtime.runOnHome(source, {
      command: ["/bin/sh", "-c", `touch ${WORKSPACE_HOME}/planted`],
      env: {},
      hostPaths: [],
      access: "read",
      onStdoutLine: () => {},
    });
    expect(probe.exitCode).not.toBe(0);
    expect(probe.stderr).toMatch(/Read-only file system/);
  });

  it("opens a team's repository with that team's key only", async () => {
    const otherTeam = restic(store, "team-b", ["snapshots", "--json"]);
    const withOtherKey = { ...otherTeam, env: { ...otherTeam.env, RESTIC_REPOSITORY: restic(store, "team-a", []).env.RESTIC_REPOSITORY! } };
    await expect(runRestic(withOtherKey, "Listing team A's snapshots with team B's key")).rejects.toThrow(/wrong password|no key found/);
    expect(JSON.parse(await runRestic(restic(store, "team-a", ["snapshots", "--json"]), "Listing"))).toHaveLength(1);
  });
});
