import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logTail } from "@/lib/runtime/local/process-group";

// The last lines of a workspace's log, as failure messages show them: whole
// lines, from a short log and from one far longer than what is read of it.

describe("logTail", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-log-tail-"));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("gives a short log's last lines", async () => {
    const file = path.join(dir, "short.log");
    await fs.writeFile(file, "one\ntwo\nthree\n");
    expect(await logTail(file, 2)).toBe("two\nthree");
    expect(await logTail(file)).toBe("one\ntwo\nthree");
  });

  it("gives a long log's last lines, each whole", async () => {
    const file = path.join(dir, "long.log");
    // ~1 MB of numbered lines of uneven length.
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`);
    await fs.writeFile(file, `${lines.join("\n")}\n`);
    expect(await logTail(file, 3)).toBe(lines.slice(-3).join("\n"));
    const many = (await logTail(file, 100_000)).split("\n");
    expect(many.at(-1)).toBe(lines.at(-1));
    // Only whole lines: the first one given is one of the log's own.
    expect(lines).toContain(many[0]);
  });

  it("gives nothing for a log that doesn't exist", async () => {
    expect(await logTail(path.join(dir, "missing.log"))).toBe("");
  });
});
