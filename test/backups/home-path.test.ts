import { describe, expect, it } from "vitest";
import { homePathSchema } from "@/lib/backups/queries";

// Paths into a backup, as the API and the Browse dialog send them: relative
// to the home directory (absolute ones inside it too), never out of it.

describe("a path into a backup", () => {
  it("resolves inside the home directory", () => {
    expect(["", ".", "project", "project/src/", "/home/coder", "/home/coder/project"].map((value) => homePathSchema.parse(value))).toEqual([
      "/home/coder",
      "/home/coder",
      "/home/coder/project",
      "/home/coder/project/src",
      "/home/coder",
      "/home/coder/project",
    ]);
  });

  it("refuses .. and anything outside the home directory", () => {
    for (const value of ["..", "../etc", "project/../../etc", "project/..", "/etc/passwd", "/home/coderx", "/home", "a\0b"]) {
      expect(homePathSchema.safeParse(value).success, value).toBe(false);
    }
  });
});
