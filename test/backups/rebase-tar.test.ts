import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rebaseTar } from "@/lib/backups/rebase-tar";

// A folder downloaded from a backup: restic dump's tar names each file by its
// whole path in the snapshot; the download unpacks to the folder itself.
// Archives made and unpacked by GNU tar, as a user's would be.

const run = promisify(execFile);

describe("rebaseTar", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "rebase-tar-"));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it("moves a folder's entries from their snapshot path to the folder's name, links and bytes intact, and leaves out the rest", async () => {
    const project = path.join(dir, "snapshot/home/coder/project");
    await fs.mkdir(path.join(project, "src"), { recursive: true });
    await fs.writeFile(path.join(project, "notes.txt"), "Remember the milk.\n");
    await fs.writeFile(path.join(project, "src/big.bin"), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    await fs.symlink("../notes.txt", path.join(project, "src/notes-link"));
    await fs.link(path.join(project, "notes.txt"), path.join(project, "hard.txt"));
    await fs.writeFile(path.join(dir, "snapshot/home/coder/elsewhere.txt"), "not in the folder\n");
    await run("tar", ["-cf", path.join(dir, "dump.tar"), "-C", path.join(dir, "snapshot"), "home/coder/project", "home/coder/elsewhere.txt"]);

    const rebased = rebaseTar(Readable.from(await fs.readFile(path.join(dir, "dump.tar")), { objectMode: false }), "home/coder/project", "project");
    const chunks: Buffer[] = [];
    for await (const chunk of rebased) chunks.push(Buffer.from(chunk as Uint8Array));
    await fs.writeFile(path.join(dir, "project.tar"), Buffer.concat(chunks));

    const { stdout } = await run("tar", ["-tf", path.join(dir, "project.tar")]);
    expect(stdout.trim().split("\n").sort()).toEqual(["project/", "project/hard.txt", "project/notes.txt", "project/src/", "project/src/big.bin", "project/src/notes-link"]);
    const out = path.join(dir, "out");
    await fs.mkdir(out);
    await run("tar", ["-xf", path.join(dir, "project.tar"), "-C", out]);
    expect(await fs.readFile(path.join(out, "project/notes.txt"), "utf8")).toBe("Remember the milk.\n");
    expect(await fs.readFile(path.join(out, "project/hard.txt"), "utf8")).toBe("Remember the milk.\n");
    expect((await fs.readFile(path.join(out, "project/src/big.bin"))).equals(Buffer.alloc(3 * 1024 * 1024 + 17, 7))).toBe(true);
    expect(await fs.readlink(path.join(out, "project/src/notes-link"))).toBe("../notes.txt");
  });

  it("breaks the download when the archive is cut short, instead of ending it as if complete", async () => {
    await fs.mkdir(path.join(dir, "snapshot/home/coder/project"), { recursive: true });
    await fs.writeFile(path.join(dir, "snapshot/home/coder/project/big.bin"), Buffer.alloc(1024 * 1024, 1));
    await run("tar", ["-cf", path.join(dir, "dump.tar"), "-C", path.join(dir, "snapshot"), "home/coder/project"]);
    const whole = await fs.readFile(path.join(dir, "dump.tar"));

    const rebased = rebaseTar(Readable.from([whole.subarray(0, 600 * 1024)]), "home/coder/project", "project");
    await expect(
      (async () => {
        for await (const chunk of rebased) void chunk;
      })(),
    ).rejects.toThrow();
  });
});
