import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import path from "node:path";
import { env } from "@/lib/env";

// Where workspace backups go: one restic repository per team, in an
// S3-compatible bucket or, by default, in a folder of the data dir (the same
// code path, so backups work out of the box). Each team's repository is
// encrypted with a key of its own, derived from PODSPACE_BACKUP_KEY (or
// AUTH_SECRET) and the team's id: never stored, never in a workspace's
// environment, and useless for any other team's repository.

export type BackupStore =
  | { kind: "folder"; dir: string }
  | {
      kind: "s3";
      endpoint: string;
      bucket: string;
      prefix: string | null;
      region: string;
      pathStyle: boolean;
      caFile: string | null;
    };

let resticFound: boolean | undefined;
/** Whether restic runs here, tried once: Podspace runs it for everything but the backups on Kubernetes. */
const resticInstalled = () => (resticFound ??= spawnSync("restic", ["version"], { timeout: 10_000 }).status === 0);

/** Why backups aren't taken on this Podspace, for people; null when they are. */
export function backupsOffReason(): string | null {
  if (env.PODSPACE_BACKUPS === "off") return "Backups are turned off on this Podspace (PODSPACE_BACKUPS=off).";
  if (!resticInstalled()) return "Backups need restic, which isn't installed on Podspace's host (sudo apt-get install -y restic).";
  return null;
}

/** The configured store; null when backups are off or can't run here (backupsOffReason says which). */
export function backupStore(): BackupStore | null {
  if (backupsOffReason()) return null;
  if (!env.PODSPACE_BACKUP_S3_BUCKET) {
    return { kind: "folder", dir: path.resolve(env.PODSPACE_BACKUP_DIR ?? path.join(env.PODSPACE_DATA_DIR, "backups")) };
  }
  return {
    kind: "s3",
    endpoint: (env.PODSPACE_BACKUP_S3_ENDPOINT ?? "https://s3.amazonaws.com").replace(/\/$/, ""),
    bucket: env.PODSPACE_BACKUP_S3_BUCKET,
    prefix: env.PODSPACE_BACKUP_S3_PREFIX ?? null,
    region: env.PODSPACE_BACKUP_S3_REGION,
    pathStyle: env.PODSPACE_BACKUP_S3_PATH_STYLE === "true",
    caFile: env.PODSPACE_BACKUP_S3_CA_FILE ? path.resolve(env.PODSPACE_BACKUP_S3_CA_FILE) : null,
  };
}

/** For people: where backups go, without credentials. */
export function describeStore(store: BackupStore): string {
  if (store.kind === "folder") return `the folder ${store.dir}`;
  const at = `${store.endpoint}/${store.bucket}${store.prefix ? `/${store.prefix}` : ""}`;
  return `S3 bucket ${store.bucket} at ${at}${store.pathStyle ? " (path-style)" : ""}`;
}

/** The team's restic repository: its own folder, or its own prefix in the bucket. */
export function repositoryOf(store: BackupStore, teamId: string): string {
  if (store.kind === "folder") return path.join(store.dir, "teams", teamId);
  const prefix = store.prefix ? `${store.prefix}/` : "";
  return `s3:${store.endpoint}/${store.bucket}/${prefix}teams/${teamId}`;
}

/** The team's repository key: an HMAC of its id under the backup secret, so no key is ever stored. */
export function teamKey(teamId: string): string {
  const secret = env.PODSPACE_BACKUP_KEY ?? env.AUTH_SECRET;
  if (!secret) throw new Error("backups need AUTH_SECRET or PODSPACE_BACKUP_KEY to derive each team's key");
  return createHmac("sha256", secret).update(`podspace backup key for team ${teamId}`).digest("base64url");
}
