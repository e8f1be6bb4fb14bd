import { once } from "node:events";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { PodspaceClient } from "@/lib/sdk";
import { tokenFromPage } from "./api-tokens";
import { podspaceCli } from "./cli-process";
import { insertTemplate } from "./database";
import { IDE_TEMPLATE } from "./ide-template";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";

// `podspace exec` and `podspace cp` as a user runs them (a child process,
// its launcher, its own config file, a token made on the Tokens page)
// against a real server and the local runtime: streamed output, stdin,
// exit codes (the command's, 124, 255), a timeout that takes the command's
// children, and a folder copied in and out again, byte for byte.

const MAX_UPLOAD_MB = 1;
/** Prints whether process $1 is gone (a zombie counts as gone). */
const GONE = 'kill -0 "$1" 2>/dev/null && [ "$(cut -d" " -f3 "/proc/$1/stat")" != Z ] && echo running || echo gone';

describe("podspace exec and cp", () => {
  const stack = usePodspaceStack({ PODSPACE_API_MAX_UPLOAD_MB: String(MAX_UPLOAD_MB) });
  let page: Page;
  let config: string;
  let workspaceId: string;

  beforeAll(async () => {
    await insertTemplate(stack.database.url, IDE_TEMPLATE);
    page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    const token = await tokenFromPage(page, stack.podspace.url, "laptop", ["read", "workspaces:write", "exec"]);
    config = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "podspace-cli-exec-")), "config.json");
    await fs.writeFile(config, JSON.stringify({ url: stack.podspace.url, token }), { mode: 0o600 });
    const workspace = await new PodspaceClient({ url: stack.podspace.url, token }).workspaces.create({ name: "box", template: IDE_TEMPLATE.slug }, { waitUntilReady: true });
    workspaceId = workspace.id;
  });

  const cli = podspaceCli(() => config);
  const podspace = cli.run;

  it("streams a command's output and exits with its exit code", async () => {
    const run = await podspace(["exec", "box", "--env", "WHO=cli", "--cwd", "/tmp", "--", "sh", "-c", 'echo "hi $WHO in $(pwd)"; echo oops >&2; exit 3']);
    expect(run).toEqual({ code: 3, stdout: "hi cli in /tmp\n", stderr: "oops\n" });
    expect((await podspace(["exec", "box", "--", "true"])).code).toBe(0);
  });

  it("passes its stdin on to the command", async () => {
    const lines = Array.from({ length: 2000 }, (_, index) => `line ${index} ünïcödé`).join("\n");
    const run = await podspace(["exec", "box", "--", "sh", "-c", "cat; echo; echo end"], { input: lines });
    expect([run.code, run.stdout]).toEqual([0, `${lines}\nend\n`]);
  });

  it("ends when the command does, however much input is still coming (yes | podspace exec … head -n 1)", async () => {
    const child = cli.start(["exec", "box", "--", "head", "-n", "1"]);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stdin.on("error", () => undefined);
    const yes = Buffer.from("y\n".repeat(32_768));
    const feed = () => child.stdin.write(yes) && setImmediate(feed);
    child.stdin.on("drain", feed);
    feed();
    expect(await exited).toBe(0);
    expect(stdout).toBe("y\n");
  });

  it("ends the command when its output's reader goes away (podspace exec … yes | head), exiting as SIGPIPE would", async () => {
    const child = cli.start(["exec", "box", "--", "yes"]);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdout.once("data", () => child.stdout.destroy());
    expect(await exited).toBe(141);
  });

  it("exits 124 when --timeout runs out, and the command's background children are gone", async () => {
    const run = await podspace(["exec", "box", "--timeout", "1", "--", "sh", "-c", "sleep 300 & echo $!; sleep 300"]);
    expect(run.code).toBe(124);
    const child = run.stdout.trim();
    expect(child).toMatch(/^\d+$/);
    const check = await podspace(["exec", "box", "--", "sh", "-c", GONE, "sh", child]);
    expect(check.stdout).toBe("gone\n");
  });

  it("ends the command, with what it started, on Ctrl-C, and exits 130", async () => {
    const child = cli.start(["exec", "box", "--", "sh", "-c", "sleep 300 & echo $!; sleep 300"]);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    // The server kills the command's group once it sees the socket close.
    await expect.poll(async () => (await podspace(["exec", "box", "--", "sh", "-c", GONE, "sh", line])).stdout, { timeout: 10_000 }).toBe("gone\n");
  });

  it("refuses a token without the exec scope with the API's message, and exits 255", async () => {
    const reader = await tokenFromPage(page, stack.podspace.url, "reader", ["read"]);
    const run = await podspace(["exec", "box", "--", "true"], { env: { PODSPACE_TOKEN: reader } });
    expect([run.code, run.stderr.trim()]).toEqual([255, "podspace: This token lacks the exec scope."]);
    const usage = await podspace(["exec", "box"]);
    expect([usage.code, usage.stderr.trim()]).toEqual([255, "podspace: Give the command after --, e.g. podspace exec api -- ls -la."]);
  });

  /** Every path under `root` with what it is: a directory, a symbolic link and its target, or a file, its mode and contents. */
  async function tree(root: string): Promise<Record<string, string>> {
    const found: Record<string, string> = {};
    for (const entry of await fs.readdir(root, { recursive: true })) {
      const full = path.join(root, entry);
      const stats = await fs.lstat(full);
      if (stats.isSymbolicLink()) found[entry] = `link → ${await fs.readlink(full)}`;
      else if (stats.isDirectory()) found[entry] = "directory";
      else found[entry] = `file ${(stats.mode & 0o777).toString(8)} ${(await fs.readFile(full)).toString("base64")}`;
    }
    return found;
  }

  it("copies a folder into the workspace and back out, byte for byte, modes and links kept", async () => {
    const local = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-cp-"));
    const source = path.join(local, "project");
    await fs.mkdir(path.join(source, "src", "empty"), { recursive: true });
    await fs.writeFile(path.join(source, "README.md"), "# hello\n");
    await fs.writeFile(path.join(source, "src", "data.bin"), Buffer.from([0, 1, 2, 255, 254, 10, 13]));
    await fs.writeFile(path.join(source, "run.sh"), "#!/bin/sh\necho run\n", { mode: 0o755 });
    await fs.writeFile(path.join(source, "with space.txt"), "spaced\n");
    await fs.symlink("src/data.bin", path.join(source, "link"));

    // A missing destination is made, with the directory's contents.
    const up = await podspace(["cp", source, "box:copied", "--json"]);
    expect([up.code, up.stderr]).toEqual([0, ""]);
    expect(JSON.parse(up.stdout)).toMatchObject({ files: 5, bytes: expect.any(Number) });
    const listed = await podspace(["exec", "box", "--", "sh", "-c", 'cat "copied/with space.txt"; ./copied/run.sh; readlink copied/link; test -d copied/src/empty && echo empty']);
    expect(listed.stdout).toBe("spaced\nrun\nsrc/data.bin\nempty\n");

    const back = path.join(local, "back");
    const down = await podspace(["cp", "box:copied", back]);
    expect([down.code, down.stdout, down.stderr]).toEqual([0, "", ""]);
    expect(await tree(back)).toEqual(await tree(source));
    expect((await fs.stat(path.join(back, "run.sh"))).mode & 0o777).toBe(0o755);

    // Into an existing directory, under its own name; /. for the contents.
    expect((await podspace(["cp", "box:copied/src", back])).code).toBe(0);
    expect(await tree(path.join(back, "src"))).toEqual(await tree(path.join(source, "src")));
    // A file into a directory keeps its name; elsewhere it takes the destination's.
    expect((await podspace(["cp", path.join(source, "README.md"), "box:copied/src/"])).code).toBe(0);
    expect((await podspace(["cp", "box:copied/src/README.md", path.join(local, "renamed.md")])).code).toBe(0);
    expect(await fs.readFile(path.join(local, "renamed.md"), "utf8")).toBe("# hello\n");
  });

  it("says why a copy can't be made, with its exit code", async () => {
    const missing = await podspace(["cp", "box:no/such/thing", os.tmpdir()]);
    expect([missing.code, missing.stderr.trim()]).toEqual([4, "podspace: No such file or directory: no/such/thing"]);
    const missingLocal = await podspace(["cp", "/no/such/file", "box:x"]);
    expect([missingLocal.code, missingLocal.stderr.trim()]).toEqual([4, "podspace: No such file or directory: /no/such/file"]);
    expect((await podspace(["cp", "box:a", "box:b"])).code).toBe(2);
    expect((await podspace(["cp", "a", "b"])).code).toBe(2);
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "podspace-cp-")), "file");
    await fs.writeFile(file, "");
    const ontoFile = await podspace(["cp", "box:copied", file]);
    expect([ontoFile.code, ontoFile.stderr.trim()]).toEqual([2, `podspace: Can't copy directory copied onto ${file}: it is a file.`]);

    const large = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "podspace-cp-")), "large.bin");
    await fs.writeFile(large, Buffer.alloc(2 * MAX_UPLOAD_MB * 2 ** 20, 7));
    const tooLarge = await podspace(["cp", large, "box:"]);
    expect([tooLarge.code, tooLarge.stderr.trim()]).toEqual([1, `podspace: An upload is at most ${MAX_UPLOAD_MB} MiB here; send parts of it, one archive each.`]);
  });

  it("exits 255 with the API's message when the workspace isn't running", async () => {
    expect((await podspace(["stop", "box"])).code).toBe(0);
    const client = new PodspaceClient({ url: stack.podspace.url, token: JSON.parse(await fs.readFile(config, "utf8")).token });
    await expect.poll(async () => (await client.workspaces.get(workspaceId)).state, { timeout: 30_000 }).toBe("STOPPED");
    const run = await podspace(["exec", "box", "--", "true"]);
    expect([run.code, run.stderr.trim()]).toEqual([255, "podspace: Workspace box is not running (it is stopped); start it first."]);
  });
});
