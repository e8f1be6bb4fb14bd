import path from "node:path";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { watchAccess } from "@/lib/auth/stream-access";
import { can, roleIn, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { BackupReason, BackupStatus } from "@/lib/generated/prisma/enums";
import { WORKSPACE_HOME } from "@/lib/runtime/types";
import { idSchema } from "@/lib/schemas/fields";
import { rebaseTar } from "./rebase-tar";
import { jsonLines, restic, runRestic, streamRestic } from "./restic";
import { backupsOffReason, backupStore, describeStore, type BackupStore } from "./store";

// What people see of backups: a workspace's list, the team's backups of
// deleted workspaces, a snapshot's folders, and a file or folder out of one.
// Each function authorizes first (workspace:read-backups on the backup's
// workspace), then validates its input; a backup out of reach is "not
// found", exactly like one that doesn't exist. Browsing and downloading read
// only the repository, so they work for stopped and deleted workspaces too.

export interface BackupView {
  id: string;
  workspaceId: string;
  reason: BackupReason;
  status: BackupStatus;
  snapshotId: string | null;
  files: number | null;
  bytes: number | null;
  bytesAdded: number | null;
  error: string | null;
  requestedBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  expiredAt: Date | null;
}

const backupSelect = {
  id: true,
  workspaceId: true,
  reason: true,
  status: true,
  snapshotId: true,
  files: true,
  bytes: true,
  bytesAdded: true,
  error: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  expiredAt: true,
  requestedBy: { select: { name: true, email: true } },
} as const;

type BackupRow = { bytes: bigint | null; bytesAdded: bigint | null; requestedBy: { name: string | null; email: string } | null } & Omit<
  BackupView,
  "bytes" | "bytesAdded" | "requestedBy"
>;

function toView({ bytes, bytesAdded, requestedBy, ...row }: BackupRow): BackupView {
  return {
    ...row,
    bytes: bytes === null ? null : Number(bytes),
    bytesAdded: bytesAdded === null ? null : Number(bytesAdded),
    requestedBy: requestedBy ? (requestedBy.name ?? requestedBy.email) : null,
  };
}

/** A deleted workspace's name without the ~<id> its deletion added to free the name. */
export const liveName = (workspace: { name: string; deletedAt: Date | null }) => (workspace.deletedAt ? workspace.name.replace(/~[^~]*$/, "") : workspace.name);

const workspaceNotFound = () => new AppError("not_found", "Workspace not found.");
const backupNotFound = () => new AppError("not_found", "Backup not found.");

/** A workspace's backups, newest first, for its owner and the team's owners and admins (deleted workspaces too). */
export async function listWorkspaceBackups(actor: Actor, workspaceId: string): Promise<BackupView[]> {
  const id = idSchema.safeParse(workspaceId);
  if (!id.success) throw workspaceNotFound();
  const db = getDb();
  const workspace = await db.workspace.findUnique({ where: { id: id.data }, select: { teamId: true, ownerId: true } });
  if (!workspace || !can(actor, "workspace:read-backups", workspace)) throw workspaceNotFound();
  const rows = await db.backup.findMany({ where: { workspaceId: id.data }, orderBy: { createdAt: "desc" }, select: backupSelect });
  return rows.map(toView);
}

export interface DeletedWorkspaceBackup {
  backup: BackupView;
  workspace: { id: string; name: string; deletedAt: Date; owner: string; templateSlug: string };
  /** When the retention pass expires it: the workspace's deletion plus the team's retention. */
  keptUntil: Date;
}

/** The most the team page lists: a page of its own is for later, should a team ever keep more within its retention. */
const DELETED_BACKUPS_SHOWN = 200;

/**
 * The restorable backups of the team's deleted workspaces, newest first: all
 * of them for the team's owners and admins, their own for members. Null for
 * someone outside the team.
 */
export async function listDeletedWorkspaceBackups(actor: Actor, teamId: string): Promise<DeletedWorkspaceBackup[] | null> {
  const role = roleIn(actor, teamId);
  if (!role) return null;
  const db = getDb();
  const team = await db.team.findUnique({ where: { id: teamId }, select: { backupRetentionDays: true } });
  if (!team) return null;
  const rows = await db.backup.findMany({
    where: {
      teamId,
      status: "SUCCEEDED",
      expiredAt: null,
      workspace: { deletedAt: { not: null }, ...(role === "MEMBER" ? { ownerId: actor.id } : {}) },
    },
    orderBy: { createdAt: "desc" },
    take: DELETED_BACKUPS_SHOWN,
    select: {
      ...backupSelect,
      workspace: {
        select: { id: true, name: true, deletedAt: true, owner: { select: { name: true, email: true } }, templateVersion: { select: { template: { select: { slug: true } } } } },
      },
    },
  });
  const retentionMs = team.backupRetentionDays * 24 * 60 * 60 * 1000;
  return rows.map(({ workspace, ...row }) => ({
    backup: toView(row),
    workspace: {
      id: workspace.id,
      name: liveName(workspace),
      deletedAt: workspace.deletedAt!,
      owner: workspace.owner.name ?? workspace.owner.email,
      templateSlug: workspace.templateVersion.template.slug,
    },
    keptUntil: new Date(workspace.deletedAt!.getTime() + retentionMs),
  }));
}

export interface RestorableBackup {
  id: string;
  teamId: string;
  /** The backed-up workspace's name (without a deleted one's suffix). */
  workspaceName: string;
  /** Its template, which the new workspace defaults to. */
  templateSlug: string;
  finishedAt: Date;
}

/** A succeeded, unexpired backup the actor may restore, for the new-workspace page; null when there is none such. */
export async function findRestorableBackup(actor: Actor, backupId: string): Promise<RestorableBackup | null> {
  const id = idSchema.safeParse(backupId);
  if (!id.success) return null;
  const backup = await getDb().backup.findUnique({
    where: { id: id.data },
    select: {
      id: true,
      teamId: true,
      status: true,
      expiredAt: true,
      finishedAt: true,
      workspace: { select: { name: true, deletedAt: true, teamId: true, ownerId: true, templateVersion: { select: { template: { select: { slug: true } } } } } },
    },
  });
  if (!backup || !can(actor, "workspace:read-backups", backup.workspace) || backup.status !== "SUCCEEDED" || backup.expiredAt || !backup.finishedAt) return null;
  return {
    id: backup.id,
    teamId: backup.teamId,
    workspaceName: liveName(backup.workspace),
    templateSlug: backup.workspace.templateVersion.template.slug,
    finishedAt: backup.finishedAt,
  };
}

/** A path inside the home, as the API and pages name it (relative to the home, "" for the home itself); becomes its absolute path. */
export const homePathSchema = z
  .string()
  .max(4096, { error: "A path is at most 4096 characters." })
  .regex(/^[^\0]*$/, { error: "A path must not contain NUL characters." })
  .transform((value, context) => {
    const absolute = path.posix.resolve(WORKSPACE_HOME, value);
    if (value.split("/").includes("..") || (absolute !== WORKSPACE_HOME && !absolute.startsWith(`${WORKSPACE_HOME}/`))) {
      context.addIssue({ code: "custom", message: "The path must be inside the home directory, without “..”.", path: ["path"] });
      return z.NEVER;
    }
    return absolute;
  });

/** An absolute path in the home, as the API and pages show it: relative to the home. */
const relativeToHome = (absolute: string) => path.posix.relative(WORKSPACE_HOME, absolute);

/** Narrows a lookup to what an API token reaches (its workspace list); pages pass nothing. */
export interface Reach {
  reaches?: (workspaceId: string) => boolean;
}

/** The backup, if the actor may read it: workspace:read-backups on its workspace, within a token's reach. */
async function readableBackup(actor: Actor, backupId: string, { reaches }: Reach) {
  const backup = await getDb().backup.findUnique({
    where: { id: backupId },
    select: { id: true, teamId: true, workspaceId: true, status: true, snapshotId: true, expiredAt: true, workspace: { select: { teamId: true, ownerId: true } } },
  });
  return backup && can(actor, "workspace:read-backups", backup.workspace) && (!reaches || reaches(backup.workspaceId)) ? backup : null;
}

/** The backup's snapshot, if the actor may read it and it has one to read. */
async function readableSnapshot(actor: Actor, backupId: string, reach: Reach): Promise<{ id: string; teamId: string; workspaceId: string; snapshotId: string; store: BackupStore }> {
  const id = idSchema.safeParse(backupId);
  if (!id.success) throw backupNotFound();
  const backup = await readableBackup(actor, id.data, reach);
  if (!backup) throw backupNotFound();
  if (backup.status !== "SUCCEEDED" || !backup.snapshotId || backup.expiredAt) throw new AppError("invalid", "That backup has no snapshot to read (it failed, is not done yet, or expired).");
  const store = backupStore();
  if (!store) throw new AppError("invalid", backupsOffReason()!);
  return { id: backup.id, teamId: backup.teamId, workspaceId: backup.workspaceId, snapshotId: backup.snapshotId, store };
}

export interface BackupEntry {
  name: string;
  /** Relative to the home. */
  path: string;
  type: "dir" | "file" | "symlink" | "other";
  /** Bytes, for files. */
  size: number | null;
  mtime: string;
}

/** One node of restic ls --json. */
const resticNode = z.object({
  struct_type: z.literal("node"),
  name: z.string(),
  type: z.string(),
  path: z.string(),
  size: z.number().optional(),
  mtime: z.string(),
});

/** The node at `absolute` and, for a folder, its direct children, as restic ls lists them. */
async function listNodes(snapshot: Awaited<ReturnType<typeof readableSnapshot>>, absolute: string): Promise<{ node: BackupEntry | null; children: BackupEntry[] }> {
  const stdout = await runRestic(restic(snapshot.store, snapshot.teamId, ["ls", "--json", snapshot.snapshotId, absolute]), "Listing the backup's files");
  const nodes = jsonLines(stdout).flatMap((line) => {
    const node = resticNode.safeParse(line);
    if (!node.success) return [];
    const { name, type, path: nodePath, size, mtime } = node.data;
    const kind = type === "dir" || type === "file" || type === "symlink" ? type : "other";
    return [{ name, path: nodePath, type: kind, size: kind === "file" ? (size ?? 0) : null, mtime } satisfies BackupEntry];
  });
  const node = nodes.find((candidate) => candidate.path === absolute) ?? null;
  const children = nodes.filter((candidate) => path.posix.dirname(candidate.path) === absolute && candidate.path !== absolute);
  const relative = (entry: BackupEntry) => ({ ...entry, path: relativeToHome(entry.path) });
  return { node: node && relative(node), children: children.map(relative) };
}

export interface BackupListing {
  /** The folder, relative to the home ("" for the home). */
  path: string;
  /** Folders first, then by name. */
  entries: BackupEntry[];
}

/** The direct children of a folder in the backup's snapshot. */
export async function browseBackup(actor: Actor, backupId: string, dir: string, reach: Reach = {}): Promise<BackupListing> {
  const snapshot = await readableSnapshot(actor, backupId, reach);
  const absolute = homePathSchema.parse(dir);
  const { node, children } = await listNodes(snapshot, absolute);
  if (!node) throw new AppError("not_found", `The backup has no ${relativeToHome(absolute) || "home folder"}.`);
  if (node.type !== "dir") throw new AppError("invalid", `${node.path} is not a folder.`);
  const entries = children.sort((a, b) => Number(b.type === "dir") - Number(a.type === "dir") || a.name.localeCompare(b.name));
  return { path: relativeToHome(absolute), entries };
}

export interface BackupDownload {
  filename: string;
  contentType: string;
  body: ReadableStream<Uint8Array>;
}

/**
 * Who is downloading, as they are now: the session's user or the token's
 * owner with the token's reach, looked up afresh; null once they are signed
 * out, or the token is revoked or expired.
 */
export type Requester = () => Promise<({ actor: Actor } & Reach) | null>;

export interface DownloadOptions {
  reach?: Reach;
  /** The request's: the client hung up. */
  signal: AbortSignal;
  /** Asked every few seconds while the download streams: the download stops once they may no longer read the backup. */
  requester: Requester;
}

/**
 * A file of the backup's snapshot as itself, or a folder as a tar named
 * after it, streamed out of restic dump (audited as backup.downloaded). A
 * failure of restic midway errors the stream, so the download breaks
 * instead of ending short. A whole home may take long to download: while it
 * streams, the requester's access is checked again (watchAccess), and once
 * it is gone (signed out, token revoked, removed from the team, a role taken
 * away) restic is killed and the download breaks the same way.
 */
export async function openBackupDownload(actor: Actor, backupId: string, filePath: string, { reach = {}, signal, requester }: DownloadOptions): Promise<BackupDownload> {
  const snapshot = await readableSnapshot(actor, backupId, reach);
  const absolute = homePathSchema.parse(filePath);
  const { node } = await listNodes(snapshot, absolute);
  if (!node) throw new AppError("not_found", `The backup has no ${relativeToHome(absolute) || "home folder"}.`);
  const folder = node.type === "dir";
  if (!folder && node.type !== "file") throw new AppError("invalid", `${node.path} is neither a file nor a folder.`);
  await recordAudit({
    action: "backup.downloaded",
    actorId: actor.id,
    targetType: "backup",
    targetId: snapshot.id,
    teamId: snapshot.teamId,
    after: { workspaceId: snapshot.workspaceId, path: node.path.slice(0, 500) || ".", folder },
  });
  const revoked = new AbortController();
  const { stdout, exited } = streamRestic(
    restic(snapshot.store, snapshot.teamId, ["dump", snapshot.snapshotId, absolute]),
    "Reading the backup",
    AbortSignal.any([signal, revoked.signal]),
  );
  // Awaited at the end of the stream; a download cancelled before then never reads its outcome.
  // Once restic is done the checks stop: what is left to send was read already.
  const over = new AbortController();
  void exited.catch(() => {}).finally(() => over.abort());
  watchAccess({
    allowed: async () => {
      const now = await requester();
      return now !== null && (await readableBackup(now.actor, snapshot.id, now)) !== null;
    },
    onRevoked: () => revoked.abort(new AppError("forbidden", "Access to the backup was lost while it downloaded; the download was stopped.")),
    signal: AbortSignal.any([signal, over.signal]),
  });
  const name = absolute === WORKSPACE_HOME ? "home" : path.posix.basename(absolute);
  // A folder's tar unpacks to the folder (project/…), not to the path it had in the snapshot (home/coder/project/…).
  const content = folder ? rebaseTar(stdout, absolute.slice(1), name) : stdout;
  const chunks = content[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // At once, not at the next read: a client that isn't reading is cut off too.
      revoked.signal.addEventListener("abort", () => controller.error(revoked.signal.reason), { once: true });
    },
    async pull(controller) {
      const next = await chunks.next();
      if (!next.done) return controller.enqueue(new Uint8Array(next.value));
      await exited;
      controller.close();
    },
    cancel: () => void chunks.return?.(),
  });
  return {
    filename: folder ? `${name}.tar` : name,
    contentType: folder ? "application/x-tar" : "application/octet-stream",
    body,
  };
}

/** The HTTP answer for a download: an attachment under its name (RFC 6266, UTF-8 names too). */
export function downloadResponse(download: BackupDownload): Response {
  const ascii = download.filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return new Response(download.body, {
    headers: {
      "Content-Type": download.contentType,
      "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(download.filename)}`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

export interface BackupHealth {
  /** Where backups go, for people; null when they are off. */
  store: string | null;
  /** Why they are off (turned off, or restic missing); null when they are on. */
  offReason: string | null;
  /** The teams whose repository's last daily check (restic check) found something wrong. */
  failingChecks: { slug: string; error: string; checkedAt: Date | null }[];
}

/** Backups on /admin/health (platform admins only: it names every team). */
export async function backupHealth(): Promise<BackupHealth> {
  const store = backupStore();
  if (!store) return { store: null, offReason: backupsOffReason(), failingChecks: [] };
  const failing = await getDb().team.findMany({
    where: { backupCheckError: { not: null } },
    select: { slug: true, backupCheckError: true, backupCheckedAt: true },
    orderBy: { slug: "asc" },
  });
  return { store: describeStore(store), offReason: null, failingChecks: failing.map((team) => ({ slug: team.slug, error: team.backupCheckError!, checkedAt: team.backupCheckedAt })) };
}
