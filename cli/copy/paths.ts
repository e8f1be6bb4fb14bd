import path from "node:path";
import { usageError } from "../exit-codes";

// Where `podspace cp` puts what it copies, decided from the two paths as
// `docker cp` decides (README, "The podspace CLI"): the same rule both
// ways, the workspace's side being a path relative to its home.

/** What a path names: a directory (following a symbolic link to one), something else, or nothing. */
export type Kind = "directory" | "file" | "missing";

export interface RemotePath {
  workspace: string;
  path: string;
}

/** `<workspace>:<path>` (its home with no path) names a path in a workspace; anything else is local (write ./a:b for a local name with a colon). */
export function remotePath(argument: string): RemotePath | undefined {
  const match = /^([^/:]+):(.*)$/s.exec(argument);
  return match ? { workspace: match[1]!, path: match[2] || "." } : undefined;
}

/** Where the copy's entries are unpacked: into `directory`, as the source directory's contents, or as the one file `name`. */
export interface Placement {
  directory: string;
  name?: string;
}

/**
 * - A directory onto a missing destination: the destination is made, with the directory's contents.
 * - A directory into an existing directory: inside it under its own name, or its contents when the source ends with `/.`.
 * - A file into an existing directory, or a destination ending with `/`: inside it under its own name.
 * - A file anywhere else: written as the destination (missing parent directories are made).
 */
export function placement(source: { path: string; directory: boolean }, destination: { path: string; kind: Kind }): Placement {
  const name = path.posix.basename(source.path);
  if (source.directory) {
    if (destination.kind === "file") throw usageError(`Can't copy directory ${source.path} onto ${destination.path}: it is a file.`);
    const contents = name === "" || name === "." || name === "..";
    return { directory: destination.kind === "directory" && !contents ? path.posix.join(destination.path, name) : destination.path };
  }
  if (destination.kind === "directory" || destination.path.endsWith("/")) return { directory: destination.path, name };
  return { directory: path.posix.dirname(destination.path), name: path.posix.basename(destination.path) };
}
