// Workspace backups (issue 18): restic beside a local workspace's home, run
// as runBackup and restoreInto run it (runtime.runOnHome: a bwrap sandbox
// that sees only that home), into two stores side by side in one run:
//
//   folder  the embedded default: a repository in a folder on this disk
//   s3      s3rver, an S3-protocol server from npm, over HTTPS on loopback
//
// One generated home (BENCH_BACKUP_FILES files, default 50,000, of
// BENCH_BACKUP_BYTES bytes in all, default 1 GiB: a nested tree of many
// small files and a few large ones, incompressible) goes through, in turns
// so the machine's load falls on both stores alike:
//
//   full backup         into an empty repository
//   restore             that snapshot into a new workspace's home, checked
//                       (file count, bytes, checksums of a sample) before
//                       its time counts
//   incremental backup  after 1 % of the files changed (most modified, a
//                       tenth each added and deleted), then again with
//                       nothing changed (the floor: reading the folders)
//   another workspace   the restored copy backed up into the same team's
//                       repository, then the first home again, unchanged:
//                       restic picks its parent snapshot by host and paths,
//                       which every workspace of a team shares
//
// Each row: its time; for a backup, what restic read, what it added (its
// data_added, before compression) and how much the repository grew (the
// bytes uploaded: packs, index, snapshot).
//
//   npm run bench -- backup
import { createCipheriv, createHash } from "node:crypto";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { formatBytes } from "@/lib/backups/format";
import type { BackupStore } from "@/lib/backups/store";
import type { WorkspaceRuntime, WorkspaceSpec } from "@/lib/runtime/types";
import { contractSpec } from "../test/runtime/contract";
import type { Once, Summary } from "./stats";

const FILES = Number(process.env.BENCH_BACKUP_FILES ?? 50_000);
const BYTES = Number(process.env.BENCH_BACKUP_BYTES ?? 2 ** 30);
/** Credentials s3rver accepts. */
const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

const execFileAsync = promisify(execFile);

/** A small deterministic generator (mulberry32): the same home on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Incompressible bytes, fast and deterministic: AES-CTR's keystream, one stream per `stream` number. */
function noise(stream: number): (length: number) => Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(stream, 0);
  const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), iv);
  return (length) => cipher.update(Buffer.alloc(length));
}

/** A size between `min` and `max`, evenly spread on a log scale: many small, few large. */
const logUniform = (random: () => number, min: number, max: number) => Math.round(min * (max / min) ** random());

interface HomeFile {
  /** Relative to the home. */
  path: string;
  size: number;
}

/**
 * A developer's home in miniature: about 20 files a folder in a random tree
 * of folders (each under one picked at random, so some go deep), sources of
 * 16 B to 64 KiB and one file in a thousand large (binaries, data, git
 * packs) holding what is left of `bytes`, at least half of it.
 */
function planHome(files: number, bytes: number, random: () => number): { dirs: string[]; files: HomeFile[] } {
  const dirs = [""];
  for (let i = 1; i < Math.ceil(files / 20); i++) dirs.push(path.join(dirs[Math.floor(random() * dirs.length)]!, `d${i}`));
  const extensions = [".ts", ".js", ".json", ".md", ".py", ".go", ".css", ".html", ".yaml", ".txt"];
  const large = Math.max(1, Math.round(files / 1000));
  const small = Array.from({ length: files - large }, () => logUniform(random, 16, 64 * 1024));
  const smallTotal = small.reduce((sum, size) => sum + size, 0);
  const scale = Math.min(1, bytes / 2 / smallTotal);
  const smallSizes = small.map((size) => Math.max(1, Math.floor(size * scale)));
  const left = bytes - smallSizes.reduce((sum, size) => sum + size, 0);
  const weights = Array.from({ length: large }, () => logUniform(random, 1, 32));
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  const largeSizes = weights.map((weight) => Math.floor((left * weight) / weightTotal));
  largeSizes[0]! += left - largeSizes.reduce((sum, size) => sum + size, 0);
  const sizes = [...smallSizes, ...largeSizes];
  return {
    dirs,
    files: sizes.map((size, i) => {
      const dir = dirs[Math.floor(random() * dirs.length)]!;
      const name = i < smallSizes.length ? `f${i}${extensions[i % extensions.length]}` : `blob${i}.bin`;
      return { path: path.join(dir, name), size };
    }),
  };
}

/** Writes `size` bytes of stream `stream`'s noise at `offset`, a few MiB at a time. */
function writeNoise(file: string, size: number, stream: number, flags: "w" | "r+" = "w", offset = 0): void {
  const next = noise(stream);
  const fd = fs.openSync(file, flags);
  try {
    for (let done = 0; done < size; ) {
      const chunk = next(Math.min(4 * 2 ** 20, size - done));
      fs.writeSync(fd, chunk, 0, chunk.length, offset + done);
      done += chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * 1 % of the files changed, as a day's work changes them: a tenth deleted, a
 * tenth added, the rest modified (up to 4 KiB rewritten at a random place).
 */
function changeHome(home: string, files: HomeFile[], random: () => number, firstStream: number): string {
  const count = Math.max(3, Math.round(files.length / 100));
  const picked = [...files.keys()];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (picked.length - i));
    [picked[i], picked[j]] = [picked[j]!, picked[i]!];
  }
  const deleted = Math.round(count / 10);
  const added = deleted;
  let stream = firstStream;
  for (const index of picked.slice(0, deleted)) fs.rmSync(path.join(home, files[index]!.path));
  for (const index of picked.slice(deleted, count - added)) {
    const { path: file, size } = files[index]!;
    const length = Math.min(size, 4096);
    writeNoise(path.join(home, file), length, stream++, "r+", Math.floor(random() * (size - length + 1)));
  }
  for (let i = 0; i < added; i++) {
    const dir = path.dirname(files[picked[i]!]!.path);
    writeNoise(path.join(home, dir, `new${i}.ts`), logUniform(random, 16, 64 * 1024), stream++);
  }
  return `${count - deleted - added} modified, ${added} added, ${deleted} deleted`;
}

/** The regular files under `dir`: their paths (relative) and sizes. */
function listFiles(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    found.set(path.relative(dir, file), fs.statSync(file).size);
  }
  return found;
}

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** Throws unless `restored` holds the same files as `original`, with the same sizes, and a sample the same bytes. */
function verifyRestore(original: string, restored: string, random: () => number): void {
  const [want, got] = [listFiles(original), listFiles(restored)];
  const bytesOf = (files: Map<string, number>) => [...files.values()].reduce((sum, size) => sum + size, 0);
  if (want.size !== got.size || bytesOf(want) !== bytesOf(got)) {
    throw new Error(`the restore has ${got.size} files, ${bytesOf(got)} bytes; the home has ${want.size}, ${bytesOf(want)}`);
  }
  const paths = [...want.keys()];
  for (let i = 0; i < Math.min(500, paths.length); i++) {
    const file = paths[Math.floor(random() * paths.length)]!;
    if (got.get(file) !== want.get(file) || sha256(path.join(original, file)) !== sha256(path.join(restored, file))) {
      throw new Error(`the restored ${file} differs from the home's`);
    }
  }
}

/** Bytes in the files under `dir` whose names pass `include`: a repository's size. */
function sizeOf(dir: string, include: (name: string) => boolean = () => true): number {
  if (!fs.existsSync(dir)) return 0;
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && include(entry.name))
    .reduce((sum, entry) => sum + fs.statSync(path.join(entry.parentPath, entry.name)).size, 0);
}

/** The summary line `restic backup --json` ends with. */
interface BackupSummary {
  message_type: "summary";
  snapshot_id: string;
  files_new: number;
  files_changed: number;
  files_unmodified: number;
  total_files_processed: number;
  total_bytes_processed: number;
  data_added: number;
}

interface Target {
  name: string;
  store: BackupStore;
  teamId: string;
  /** Credentials restic needs beyond what restic() gives it. */
  env: Record<string, string>;
  /** The new workspace its snapshot is restored into. */
  copy: WorkspaceSpec;
  /** The bytes the team's repository holds. */
  repositoryBytes: () => number;
}

export async function benchBackup(): Promise<Record<string, Summary>> {
  const { restic } = await import("@/lib/backups/restic");
  const { ensureRepository } = await import("@/lib/backups/backup-workspace");
  const { createLocalRuntime } = await import("@/lib/runtime/local/local-runtime");
  const { workspaceUid } = await import("@/lib/runtime/local/workspace-uids");
  const { DEFAULT_BACKUP_EXCLUDES } = await import("@/lib/templates/spec");
  const { WORKSPACE_HOME } = await import("@/lib/runtime/types");
  const { startS3Server } = await import("../test/helpers/s3-server");

  const s3 = await startS3Server();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-bench-backup-"));
  const runtime: WorkspaceRuntime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache") });
  const homeOf = (spec: WorkspaceSpec) => path.join(dataDir, "workspaces", spec.id);
  const run = Date.now().toString(36);
  const source = contractSpec(`bkbench${run}`);
  const targets: Target[] = [
    {
      name: "folder",
      store: { kind: "folder", dir: path.join(dataDir, "backups") },
      teamId: `bench-folder-${run}`,
      env: {},
      copy: contractSpec(`bkbenchf${run}`),
      repositoryBytes: () => sizeOf(path.join(dataDir, "backups")),
    },
    {
      name: "s3 (s3rver, HTTPS)",
      store: { kind: "s3", endpoint: s3.endpoint, bucket: s3.bucket, prefix: "bench", region: "us-east-1", pathStyle: true, caFile: s3.caFile },
      teamId: `bench-s3-${run}`,
      env: S3RVER_CREDENTIALS,
      copy: contractSpec(`bkbenchs${run}`),
      repositoryBytes: () => sizeOf(s3.directory, (name) => name.endsWith("._S3rver_object")),
    },
  ];
  const specs = [source, ...targets.map((target) => target.copy)];
  /** restic's cache per team, where restic() puts it: in Podspace's data dir, not the benchmark's. */
  const caches = targets.map(({ store, teamId }) => {
    const { command } = restic(store, teamId, []);
    return command[command.indexOf("--cache-dir") + 1]!;
  });

  const resticOnHome = async (target: Target, spec: WorkspaceSpec, args: string[], access: "read" | "write") => {
    const invocation = restic(target.store, target.teamId, args);
    const lines: string[] = [];
    const startedAt = performance.now();
    const result = await runtime.runOnHome(spec, { ...invocation, env: { ...invocation.env, ...target.env }, access, onStdoutLine: (line) => lines.push(line) });
    const ms = performance.now() - startedAt;
    if (result.exitCode !== 0) throw new Error(`restic ${args[0]} into ${target.name} exited with ${result.exitCode}: ${result.stderr}`);
    return { ms, lines };
  };
  const backup = async (target: Target, spec: WorkspaceSpec): Promise<{ row: Once; snapshotId: string }> => {
    const before = target.repositoryBytes();
    const args = ["backup", "--json", "--host", "podspace", "--tag", `workspace:${spec.id}`, ...DEFAULT_BACKUP_EXCLUDES.flatMap((pattern) => ["--exclude", pattern]), WORKSPACE_HOME];
    const { ms, lines } = await resticOnHome(target, spec, args, "read");
    const summary = lines.map((line) => (line.startsWith("{") ? (JSON.parse(line) as { message_type?: string }) : {})).find((line) => line.message_type === "summary") as BackupSummary | undefined;
    if (!summary) throw new Error(`restic backup into ${target.name} printed no summary`);
    const uploaded = target.repositoryBytes() - before;
    const files = `${summary.files_new} new, ${summary.files_changed} changed, ${summary.files_unmodified} unchanged of ${formatBytes(summary.total_bytes_processed)}`;
    return { row: { kind: "once", ms, detail: `${files}; added ${formatBytes(summary.data_added)}, uploaded ${formatBytes(uploaded)}` }, snapshotId: summary.snapshot_id };
  };

  console.error(`backup: load average ${os.loadavg().map((load) => load.toFixed(2)).join(", ")} at the start`);
  try {
    for (const spec of specs) await runtime.provision(spec);
    const random = seeded(18);
    const plan = planHome(FILES, BYTES, random);
    const home = homeOf(source);
    const generatedAt = performance.now();
    for (const dir of plan.dirs) fs.mkdirSync(path.join(home, dir), { recursive: true });
    plan.files.forEach((file, i) => writeNoise(path.join(home, file.path), file.size, i));
    // A workspace's files are its own uid's (the runtime hands its home over on the first start).
    const uid = await workspaceUid(dataDir, source.id);
    if (uid !== null) await execFileAsync("chown", ["-R", `${uid}:${uid}`, home]);
    console.error(`backup: generated ${FILES} files, ${formatBytes(BYTES)} in ${plan.dirs.length} folders in ${((performance.now() - generatedAt) / 1000).toFixed(1)} s`);
    for (const target of targets) await ensureRepository(target.store, target.teamId);

    const rows = new Map<Target, Record<string, Once>>(targets.map((target) => [target, {}]));
    const row = (target: Target, name: string, summary: Once) => (rows.get(target)![`${target.name}: ${name}`] = summary);
    const full = new Map<Target, string>();
    for (const target of targets) {
      const { row: result, snapshotId } = await backup(target, source);
      full.set(target, snapshotId);
      row(target, `full backup, ${FILES} files, ${formatBytes(BYTES)}`, result);
    }
    for (const [i, target] of targets.entries()) {
      const { ms } = await resticOnHome(target, target.copy, ["restore", full.get(target)!, "--target", "/"], "write");
      verifyRestore(home, homeOf(target.copy), seeded(i));
      row(target, "restore into a new workspace", { kind: "once", ms, detail: "file count, bytes and a sample of 500 checksums verified" });
    }
    const changed = changeHome(home, plan.files, random, plan.files.length);
    for (const target of targets) row(target, `incremental backup, 1 % changed (${changed})`, (await backup(target, source)).row);
    for (const target of targets) row(target, "again, nothing changed (parent: its own last snapshot)", (await backup(target, source)).row);
    for (const target of targets) row(target, "a second workspace of the team (the restored copy)", (await backup(target, target.copy)).row);
    for (const target of targets) row(target, "the first again, nothing changed (parent: the copy's snapshot)", (await backup(target, source)).row);
    return Object.assign({}, ...rows.values()) as Record<string, Summary>;
  } finally {
    console.error(`backup: load average ${os.loadavg().map((load) => load.toFixed(2)).join(", ")} at the end`);
    for (const spec of specs) await runtime.destroy(spec).catch(() => {});
    await runtime.close();
    await s3.close();
    for (const cache of caches) fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
