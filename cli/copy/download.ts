import fs from "node:fs/promises";
import path from "node:path";
import { extract } from "tar";
import { localKind, remoteKind } from "./kinds";
import { placement } from "./paths";
import { entriesFor, type CopySummary, type Transfer } from "./transfer";

/**
 * Unpacks the workspace's file or directory where `placement` says, with
 * node-tar's safe defaults (no absolute paths, nothing through `..` or a
 * symbolic link out of the destination), modes and symbolic links kept.
 */
export async function download(remotePath: string, localPath: string, { sdk, workspaceId, signal, count }: Transfer): Promise<CopySummary> {
  // First, so that a missing path is the API's 404 and message.
  const archive = await sdk.workspaces.download(workspaceId, remotePath, { signal });
  try {
    const directory = (await remoteKind(sdk, workspaceId, remotePath, signal)) === "directory";
    const target = placement({ path: remotePath, directory }, { path: localPath, kind: await localKind(localPath) });
    await fs.mkdir(target.directory, { recursive: true });
    const entries = entriesFor(target);
    await extract({
      cwd: path.resolve(target.directory),
      input: archive.pipe(count.stream),
      onEntry: entries.see,
      onwarn: (_code, message) => console.error(`podspace: ${message}`),
    });
    return { bytes: count.bytes(), files: entries.files() };
  } finally {
    // An archive left unread (the copy failed first) would hold the connection, and the workspace's tar, open.
    archive.destroy();
  }
}
