import fs from "node:fs/promises";
import type { PodspaceClient } from "../../lib/sdk/client";
import { CliError, EXIT } from "../exit-codes";
import type { Kind } from "./paths";

/** Asked of the workspace's shell: `[ -d ]` follows a symbolic link, as stat does locally. */
const PROBE = 'if [ -d "$1" ]; then echo directory; elif [ -e "$1" ] || [ -L "$1" ]; then echo file; else echo missing; fi';
const KINDS: readonly string[] = ["directory", "file", "missing"] satisfies Kind[];

export async function localKind(localPath: string): Promise<Kind> {
  try {
    return (await fs.stat(localPath)).isDirectory() ? "directory" : "file";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
}

/** What `remotePath` is in the workspace, asked with a command (the files API answers only with whole archives). */
export async function remoteKind(sdk: PodspaceClient, workspaceId: string, remotePath: string, signal: AbortSignal): Promise<Kind> {
  let stdout = "";
  const result = await sdk.workspaces.exec(workspaceId, ["/bin/sh", "-c", PROBE, "podspace-cp", remotePath], { onStdout: (data) => (stdout += data), signal });
  const kind = stdout.trim();
  if (result.exitCode !== 0 || !KINDS.includes(kind)) throw new CliError(EXIT.apiError, `Can't tell whether ${remotePath} is a directory in the workspace.`);
  return kind as Kind;
}
