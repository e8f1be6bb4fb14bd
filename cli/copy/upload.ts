import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { create } from "tar";
import { CliError, EXIT } from "../exit-codes";
import { remoteKind } from "./kinds";
import { placement } from "./paths";
import { entriesFor, type CopySummary, type Transfer } from "./transfer";

/** Packs the local file or directory (symbolic links as links, modes kept) and unpacks it in the workspace where `placement` says. */
export async function upload(localPath: string, remotePath: string, { sdk, workspaceId, signal, count }: Transfer): Promise<CopySummary> {
  const source = await fs.lstat(localPath).catch((error: NodeJS.ErrnoException) => {
    throw error.code === "ENOENT" ? new CliError(EXIT.notFound, `No such file or directory: ${localPath}`) : error;
  });
  const directory = source.isDirectory();
  const target = placement({ path: localPath, directory }, { path: remotePath, kind: await remoteKind(sdk, workspaceId, remotePath, signal) });
  const entries = entriesFor(target);
  const archive = create(
    {
      cwd: path.resolve(directory ? localPath : path.dirname(localPath)),
      onWriteEntry: entries.see,
    },
    [directory ? "." : path.basename(localPath)],
  );
  await sdk.workspaces.upload(workspaceId, target.directory, Readable.fromWeb(archive as NodeReadableStream<Uint8Array>).pipe(count.stream), { signal });
  return { bytes: count.bytes(), files: entries.files() };
}
