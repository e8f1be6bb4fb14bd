import fs from "node:fs/promises";
import path from "node:path";

// When Podspace runs as root, each local workspace runs as a uid of its own
// on the host (sandbox.ts). Its namespaces keep it from seeing other
// workspaces, but what the kernel counts per uid is shared by workspaces that
// share one: the number of processes, inotify watches (an IDE's file
// watcher), the user keyring. So a uid is never any other workspace's on
// this host: chosen at the workspace's first start from a hash of its id,
// moved on past any uid another workspace holds, and recorded in the
// runtime's records (<id>.uid) for the workspace's life.

/** Workspace uids on the host: above the ranges of people and of subordinate ids. */
const UID_BASE = 2_000_000;
const UID_SPAN = 1_000_000;

/** Where the local runtime keeps its records, and the workspaces' homes, under Podspace's data dir. */
export const recordsDirOf = (dataDir: string) => path.join(dataDir, "runtime", "local");
export const homesDirOf = (dataDir: string) => path.join(dataDir, "workspaces");

/** One allocation at a time in this process, so two first starts can't take the same free uid. */
let allocating: Promise<unknown> = Promise.resolve();

/**
 * The host uid the workspace runs as: its own when Podspace is root, null
 * otherwise (it runs as Podspace's, in a user namespace). Allocated on
 * first use, then read from its record.
 */
export async function workspaceUid(dataDir: string, workspaceId: string): Promise<number | null> {
  if (process.getuid?.() !== 0) return null;
  const record = path.join(recordsDirOf(dataDir), `${workspaceId}.uid`);
  const recorded = await readUid(record);
  if (recorded !== null) return recorded;
  const allocation = allocating.then(async () => (await readUid(record)) ?? allocate(dataDir, workspaceId, record));
  allocating = allocation.catch(() => {});
  return allocation;
}

/** Forgets the workspace's uid, for another workspace to take: its home is gone. */
export async function releaseWorkspaceUid(dataDir: string, workspaceId: string): Promise<void> {
  await fs.rm(path.join(recordsDirOf(dataDir), `${workspaceId}.uid`), { force: true });
}

async function allocate(dataDir: string, workspaceId: string, record: string): Promise<number> {
  // A home started before uids were recorded keeps the uid its files have.
  const own = await legacyOwner(dataDir, workspaceId);
  const taken = own === null ? await takenUids(dataDir, workspaceId) : new Set<number>();
  let uid = own ?? hashedUid(workspaceId);
  while (taken.has(uid)) uid = UID_BASE + ((uid - UID_BASE + 1) % UID_SPAN);
  await fs.mkdir(path.dirname(record), { recursive: true });
  await fs.writeFile(record, `${uid}\n`);
  return uid;
}

/**
 * The uids other workspaces than `workspaceId` hold: recorded ones, and the
 * owners of homes without a record.
 */
async function takenUids(dataDir: string, workspaceId: string): Promise<Set<number>> {
  const taken = new Set<number>();
  const recordedIds = new Set<string>([workspaceId]);
  for (const file of await fs.readdir(recordsDirOf(dataDir)).catch(() => [] as string[])) {
    if (!file.endsWith(".uid")) continue;
    const uid = await readUid(path.join(recordsDirOf(dataDir), file));
    if (uid !== null) taken.add(uid);
    recordedIds.add(file.slice(0, -".uid".length));
  }
  for (const id of await fs.readdir(homesDirOf(dataDir)).catch(() => [] as string[])) {
    if (recordedIds.has(id)) continue;
    const owner = await legacyOwner(dataDir, id);
    if (owner !== null) taken.add(owner);
  }
  return taken;
}

/** The uid owning the workspace's home, if it is a workspace uid: one given before uids were recorded (their hash). */
async function legacyOwner(dataDir: string, workspaceId: string): Promise<number | null> {
  const owner = await fs.stat(path.join(homesDirOf(dataDir), workspaceId)).then((stat) => stat.uid, () => null);
  return owner !== null && owner >= UID_BASE && owner < UID_BASE + UID_SPAN ? owner : null;
}

async function readUid(file: string): Promise<number | null> {
  const text = await fs.readFile(file, "utf8").catch(() => null);
  const uid = Number(text?.trim());
  return text !== null && Number.isInteger(uid) ? uid : null;
}

/** Where a workspace's uid is looked for first: spread over the range, so few first starts have to move on. */
export function hashedUid(workspaceId: string): number {
  let hash = 0;
  for (const char of workspaceId) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return UID_BASE + (hash % UID_SPAN);
}
