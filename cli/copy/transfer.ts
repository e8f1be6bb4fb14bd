import type { PodspaceClient } from "../../lib/sdk/client";
import type { Placement } from "./paths";
import type { ByteCount } from "./progress";

/** What a copy needs besides its paths. */
export interface Transfer {
  sdk: PodspaceClient;
  workspaceId: string;
  signal: AbortSignal;
  count: ByteCount;
}

/** What a copy moved: the archive's bytes, and its entries that aren't directories. */
export interface CopySummary {
  bytes: number;
  files: number;
}

/** Sees each entry as it is packed or unpacked: counts the files, and gives the one file copied under another name that name. */
export function entriesFor(target: Placement): { see(entry: { type?: string; path: string }): void; files(): number } {
  let files = 0;
  return {
    see: (entry) => {
      if (entry.type !== "Directory") files++;
      if (target.name !== undefined) entry.path = target.name;
    },
    files: () => files,
  };
}
