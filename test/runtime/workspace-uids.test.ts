import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashedUid, homesDirOf, releaseWorkspaceUid, workspaceUid } from "@/lib/runtime/local/workspace-uids";

// Workspace uids on the host (Podspace as root): never one another
// workspace holds, kept for the workspace's life, and a home that has one
// from before they were recorded keeps it.

const execFileAsync = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/** An id other than `id` whose first choice of uid is the same. */
function collidingWith(id: string): string {
  const wanted = hashedUid(id);
  for (let n = 0; ; n++) if (`other${n}` !== id && hashedUid(`other${n}`) === wanted) return `other${n}`;
}

describe.skipIf(!asRoot)("workspace uids", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-uids-"));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("gives a workspace whose hash collides with another's a uid of its own, and each keeps theirs", async () => {
    const first = await workspaceUid(dataDir, "first");
    expect(first).toBe(hashedUid("first"));
    const other = collidingWith("first");
    const second = await workspaceUid(dataDir, other);
    expect(second).not.toBe(first);
    expect(await workspaceUid(dataDir, "first")).toBe(first);
    expect(await workspaceUid(dataDir, other)).toBe(second);
  });

  it("hands out different uids to first starts at the same moment", async () => {
    const ids = ["together", collidingWith("together"), collidingWith(collidingWith("together"))];
    const uids = await Promise.all(ids.map((id) => workspaceUid(dataDir, id)));
    expect(new Set(uids).size).toBe(3);
  });

  it("leaves the uid of a home from before uids were recorded to it, and gives it back once released", async () => {
    const legacy = "legacy";
    const home = path.join(homesDirOf(dataDir), legacy);
    await fs.mkdir(home, { recursive: true });
    await execFileAsync("chown", [`${hashedUid(legacy)}:${hashedUid(legacy)}`, home]);

    const newcomer = collidingWith(legacy);
    expect(await workspaceUid(dataDir, newcomer)).not.toBe(hashedUid(legacy));
    expect(await workspaceUid(dataDir, legacy)).toBe(hashedUid(legacy));

    await releaseWorkspaceUid(dataDir, legacy);
    await fs.rm(home, { recursive: true });
    const later = collidingWith(newcomer);
    expect(await workspaceUid(dataDir, later)).toBe(hashedUid(legacy));
  });
});
