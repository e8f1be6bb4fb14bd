import { describe, expect, it } from "vitest";
import { placement, remotePath } from "@/cli/copy/paths";

// Where `podspace cp` puts things: docker cp's rules, on paths alone (the
// e2e test, e2e/cli-exec.test.ts, copies through a real workspace).

describe("podspace cp's paths", () => {
  it("takes <workspace>:<path> as the workspace's side, its home when the path is empty", () => {
    expect(remotePath("api:src/app")).toEqual({ workspace: "api", path: "src/app" });
    expect(remotePath("api:")).toEqual({ workspace: "api", path: "." });
    expect(remotePath("./a:b")).toBeUndefined();
    expect(remotePath("/tmp/x:y")).toBeUndefined();
    expect(remotePath("plain")).toBeUndefined();
  });

  it("puts a directory's contents in a missing destination, and the directory itself in an existing one unless it ends with /.", () => {
    expect(placement({ path: "project", directory: true }, { path: "copy", kind: "missing" })).toEqual({ directory: "copy" });
    expect(placement({ path: "a/project/", directory: true }, { path: "copy", kind: "directory" })).toEqual({ directory: "copy/project" });
    expect(placement({ path: "project/.", directory: true }, { path: "copy", kind: "directory" })).toEqual({ directory: "copy" });
    expect(() => placement({ path: "project", directory: true }, { path: "notes.txt", kind: "file" })).toThrow("Can't copy directory project onto notes.txt: it is a file.");
  });

  it("puts a file inside a directory (or a path ending with /) under its name, and elsewhere as the destination", () => {
    expect(placement({ path: "a/notes.txt", directory: false }, { path: ".", kind: "directory" })).toEqual({ directory: ".", name: "notes.txt" });
    expect(placement({ path: "notes.txt", directory: false }, { path: "new/", kind: "missing" })).toEqual({ directory: "new/", name: "notes.txt" });
    expect(placement({ path: "notes.txt", directory: false }, { path: "docs/renamed.md", kind: "missing" })).toEqual({ directory: "docs", name: "renamed.md" });
    expect(placement({ path: "notes.txt", directory: false }, { path: "old.txt", kind: "file" })).toEqual({ directory: ".", name: "old.txt" });
  });
});
