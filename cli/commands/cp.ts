import type { Command } from "../command";
import { download } from "../copy/download";
import { remotePath } from "../copy/paths";
import { countBytes } from "../copy/progress";
import { upload } from "../copy/upload";
import { usageError } from "../exit-codes";
import { interruption } from "../interruption";
import { workspaceId } from "../resolve";

// podspace cp <src> <dst>: one side local, the other <workspace>:<path>;
// a tar archive in between (node-tar here, tar in the workspace), the paths
// decided as docker cp decides them (../copy/paths.ts).

export const cp: Command = {
  name: "cp",
  usage: "cp <src> <dst>   (one of them <name-or-id>:<path>, relative to the workspace's home)",
  summary:
    "Copy a file or directory into or out of a running workspace, as docker cp does (dir/. for a directory's contents); progress on stderr at a terminal, --json prints the bytes and files copied",
  async run({ positionals, out, client }) {
    const [source, destination, ...extra] = positionals;
    if (source === undefined || destination === undefined || extra.length > 0) throw usageError("Give a source and a destination, one of them <workspace>:<path>.");
    const from = remotePath(source);
    const to = remotePath(destination);
    if (from && to) throw usageError("Copy between the workspace and here: one side local, not both in workspaces.");
    const remote = from ?? to;
    if (!remote) throw usageError("Name the workspace's side as <workspace>:<path>, e.g. api:src (./a:b for a local name with a colon).");

    const sdk = await client();
    const interrupted = interruption();
    const count = countBytes(process.stderr.isTTY && !out.json);
    const transfer = { sdk, workspaceId: await workspaceId(sdk, remote.workspace), signal: interrupted.signal, count };
    try {
      const summary = from ? await download(from.path, destination, transfer) : await upload(source, remote.path, transfer);
      // Quiet when it worked, as cp is.
      out.result({ source, destination, ...summary }, () => undefined);
    } catch (error) {
      const signalled = interrupted.exitCode();
      if (signalled === undefined) throw error;
      process.exitCode = signalled;
    } finally {
      count.finish();
    }
  },
};
