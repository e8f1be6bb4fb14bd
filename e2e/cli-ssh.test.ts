import type { ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import * as pty from "node-pty";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { PodspaceClient } from "@/lib/sdk";
import { tokenFromPage } from "./api-tokens";
import { LAUNCHER, podspaceCli } from "./cli-process";
import { insertTemplate, query } from "./database";
import { healthCheckTemplate } from "./ide-template";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";

// `podspace ssh` and `podspace port-forward` as a user runs them (the
// launcher as a child process, under a real TTY for ssh, with the CLI's own
// config file), against a real server and the local runtime: a shell that
// follows the terminal's size and takes Ctrl-C, the exec scope, forwarded
// connections to an HTTP server in the workspace, and a revoked token
// ending what is open.

/** Where the workspace's HTTP server listens, and a port nothing listens on. */
const APP_PORT = 3000;
const IDLE_PORT = 3999;

/** The e2e template with the plain test IDE, quick to start: the terminal is what is tested here. */
const TEMPLATE = healthCheckTemplate("ssh-ide", "SSH IDE");

/** An HTTP server that answers with the path it was asked for. */
const APP = `require("http").createServer((request, response) => response.end("hello from " + request.url)).listen(${APP_PORT})`;

describe("podspace ssh and port-forward", () => {
  const stack = usePodspaceStack();
  let page: Page;
  let token: string;
  let config: string;
  let workspaceId: string;

  beforeAll(async () => {
    await insertTemplate(stack.database.url, TEMPLATE);
    page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    token = await tokenFromPage(page, stack.podspace.url, "laptop", ["read", "workspaces:write", "exec"]);
    config = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "podspace-ssh-")), "config.json");
    expect((await podspace(["login", "--url", stack.podspace.url, "--token", token])).code).toBe(0);
    workspaceId = (await new PodspaceClient({ url: stack.podspace.url, token }).workspaces.create({ name: "box", template: "ssh-ide" }, { waitUntilReady: true })).id;
  });

  const cli = podspaceCli(() => config);
  const podspace = cli.run;

  /** `podspace ssh box` under a pseudo-terminal of 100×30, as someone types into it; `screen()` is all it showed. */
  function sshInTerminal() {
    // Then the terminal's settings, to see that it was put back as it was; the exit code is the CLI's.
    const script = `"$0" "$1" ssh box; code=$?; echo; stty -a; exit $code`;
    const terminal = pty.spawn("sh", ["-c", script, process.execPath, LAUNCHER], { cols: 100, rows: 30, env: cli.env() });
    let screen = "";
    terminal.onData((data) => (screen += data));
    const exited = new Promise<number>((resolve) => terminal.onExit(({ exitCode }) => resolve(exitCode)));
    /** Waits until the output since the last call shows `pattern`. */
    let seen = 0;
    const waitFor = async (pattern: RegExp) => {
      await expect.poll(() => screen.slice(seen), { timeout: 15_000 }).toMatch(pattern);
      seen = screen.length;
    };
    /**
     * Types `command` again until the output since the last wait shows
     * `pattern`: for what reaches the CLI on its own time, as a resize does
     * (SIGWINCH), which keys typed right after it may overtake.
     */
    const retypeUntil = async (command: string, pattern: RegExp) => {
      await expect
        .poll(
          async () => {
            terminal.write(command);
            await new Promise((resolve) => setTimeout(resolve, 300));
            return screen.slice(seen);
          },
          { timeout: 15_000, interval: 0 },
        )
        .toMatch(pattern);
      seen = screen.length;
    };
    return { terminal, exited, waitFor, retypeUntil, screen: () => screen };
  }

  it("opens a shell under a TTY that runs commands, follows the terminal's size, takes Ctrl-C and exits 0 with the shell", async () => {
    const { terminal, exited, waitFor, retypeUntil, screen } = sshInTerminal();
    // libuv's raw mode leaves ONLCR on: the shell's \r\n reaches the screen as \r\r\n.
    terminal.write("echo $((6*7))\r");
    await waitFor(/42\r+\n/);
    terminal.write("stty size\r");
    await waitFor(/30 100\r+\n/);
    terminal.resize(120, 40);
    await retypeUntil("stty size\r", /40 120\r+\n/);

    // Ctrl-C is a byte in raw mode: it reaches the shell's foreground job, not the CLI.
    terminal.write("sleep 100; echo slept\r");
    await waitFor(/sleep 100; echo slept\r+\n/);
    terminal.write("\x03");
    terminal.write("echo still-$((1+1))\r");
    await waitFor(/still-2\r+\n/);

    terminal.write("exit\r");
    expect(await exited).toBe(0);
    // Cooked mode again: line editing, echo, signals from keys.
    const settings = screen().slice(screen().lastIndexOf("speed"));
    expect(settings).toMatch(/(^|\s)icanon(\s|$)/);
    expect(settings).toMatch(/(^|\s)echo(\s|$)/);
    expect(settings).toMatch(/(^|\s)isig(\s|$)/);
    const [entry] = await query<{ via: string }>(stack.database.url, `SELECT via FROM "AuditLog" WHERE action = 'workspace.terminal-opened' AND "targetId" = $1`, [workspaceId]);
    expect(entry).toEqual({ via: "token laptop" });
  });

  it("types piped input without a TTY, and passes on the shell's exit code", async () => {
    const run = await podspace(["ssh", "box"], { input: "echo piped-$((2+3))\nexit 3\n" });
    expect(run.stdout).toMatch(/piped-5\r\n/);
    expect([run.code, run.stderr]).toEqual([3, ""]);
  });

  it("attaches again with --session to a session the SDK opened with the same token, its scrollback replayed", async () => {
    const sdk = new PodspaceClient({ url: stack.podspace.url, token });
    const shell = await sdk.workspaces.terminal(workspaceId, { session: "kept", cols: 80, rows: 24 });
    let output = "";
    shell.onData((data) => (output += data));
    shell.write("echo kept-$((3*3))\r");
    await expect.poll(() => output).toMatch(/kept-9\r\n/);
    shell.detach();
    expect(await shell.ended).toMatchObject({ code: 1000 });

    const again = await podspace(["ssh", "box", "--session", "kept"], { input: "exit\n" });
    // The scrollback comes first, replayed.
    expect([again.code, again.stdout]).toEqual([0, expect.stringMatching(/^[^]*kept-9\r\n[^]*exit/)]);
    const invalid = await podspace(["ssh", "box", "--session", "no spaces"]);
    expect([invalid.code, invalid.stderr.trim()]).toEqual([255, "podspace: The session must be 1 to 64 letters, digits, - or _."]);
  });

  it("is refused without the exec scope with the API's message, and ends when the token is revoked: exit 255", async () => {
    const reader = await tokenFromPage(page, stack.podspace.url, "reader", ["read"]);
    const refused = await podspace(["ssh", "box"], { env: { PODSPACE_TOKEN: reader, PODSPACE_URL: stack.podspace.url } });
    expect([refused.code, refused.stderr.trim()]).toEqual([255, "podspace: This token lacks the exec scope."]);

    const doomed = await tokenFromPage(page, stack.podspace.url, "doomed-shell", ["read", "exec"]);
    const child = cli.start(["ssh", "box"], { PODSPACE_TOKEN: doomed, PODSPACE_URL: stack.podspace.url });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.write("echo open-$((1+1))\n");
    await expect.poll(() => stdout).toMatch(/open-2/);
    await query(stack.database.url, `UPDATE "ApiToken" SET "revokedAt" = now() WHERE name = 'doomed-shell'`);
    const revokedAt = Date.now();
    expect(await exited).toBe(255);
    expect(Date.now() - revokedAt).toBeLessThan(8_000);
    expect(stderr.trim()).toBe("podspace: token revoked or access lost");
  });

  describe("port-forward", () => {
    let forwarder: ChildProcessWithoutNullStreams;
    let errors = "";
    /** The local port forwarded to APP_PORT, and the one forwarded to IDLE_PORT. */
    let appPort: number;
    let idlePort: number;

    beforeAll(async () => {
      // Started in its own session, so that it outlives the command that starts it.
      const started = await fetch(`${stack.podspace.url}/api/v1/workspaces/${workspaceId}/exec`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ command: ["sh", "-c", `setsid ${process.execPath} -e '${APP}' >/dev/null 2>&1 </dev/null &`] }),
      });
      expect(started.status).toBe(200);

      forwarder = cli.start(["port-forward", "box", `0:${APP_PORT}`, `0:${IDLE_PORT}`]);
      forwarder.stderr.on("data", (chunk) => (errors += chunk));
      let stdout = "";
      forwarder.stdout.on("data", (chunk) => (stdout += chunk));
      await vi.waitFor(() => expect(stdout.split("\n")).toHaveLength(3), { timeout: 15_000 });
      const forwarded = stdout.trim().split("\n").map((line) => /^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$/.exec(line));
      expect(forwarded.map((match) => match?.[2])).toEqual([String(APP_PORT), String(IDLE_PORT)]);
      [appPort, idlePort] = forwarded.map((match) => Number(match![1])) as [number, number];
    });

    /** A GET through the forwarded port, on a connection of its own. */
    const get = (port: number, urlPath: string) => fetch(`http://127.0.0.1:${port}${urlPath}`, { headers: { Connection: "close" } }).then((response) => response.text());

    it("forwards each connection to the port in the workspace, several at once", async () => {
      // The server in the workspace may still be starting.
      await expect.poll(() => get(appPort, "/first").catch(() => "not yet")).toBe("hello from /first");
      expect(await Promise.all([get(appPort, "/a"), get(appPort, "/b")])).toEqual(["hello from /a", "hello from /b"]);
    });

    it("says why a connection failed (nothing listening) and keeps forwarding", async () => {
      await expect(get(idlePort, "/")).rejects.toThrow();
      await expect.poll(() => errors).toContain(`podspace: connection to port ${IDLE_PORT} failed: Nothing is listening on port ${IDLE_PORT} in box.`);
      expect(await get(appPort, "/again")).toBe("hello from /again");
    });

    it("refuses a local port in use with exit 1, and exits 0 on Ctrl-C", async () => {
      const taken = await podspace(["port-forward", "box", `${appPort}:${APP_PORT}`]);
      expect([taken.code, taken.stderr.trim()]).toEqual([1, `podspace: Can't listen on 127.0.0.1:${appPort}: the port is in use.`]);

      const exited = new Promise<number | null>((resolve) => forwarder.on("close", resolve));
      forwarder.kill("SIGINT");
      expect(await exited).toBe(0);
    });

    it("ends an open forwarded connection within seconds of its token being revoked", async () => {
      const doomed = await tokenFromPage(page, stack.podspace.url, "doomed-forward", ["read", "exec"]);
      const child = cli.start(["port-forward", "box", `0:${APP_PORT}`], { PODSPACE_TOKEN: doomed, PODSPACE_URL: stack.podspace.url });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      await expect.poll(() => stdout).toMatch(/^Forwarding from 127\.0\.0\.1:\d+/);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(stdout)![1]);

      // A kept-alive HTTP connection: open until one side closes it.
      const connection = net.connect(port, "127.0.0.1");
      let answer = "";
      connection.on("data", (chunk) => (answer += chunk));
      const closed = new Promise<void>((resolve) => connection.once("close", () => resolve()));
      connection.write("GET /kept HTTP/1.1\r\nHost: app\r\n\r\n");
      await expect.poll(() => answer).toContain("hello from /kept");

      await query(stack.database.url, `UPDATE "ApiToken" SET "revokedAt" = now() WHERE name = 'doomed-forward'`);
      const revokedAt = Date.now();
      await closed;
      expect(Date.now() - revokedAt).toBeLessThan(8_000);
      expect(stderr).toContain(`podspace: connection to port ${APP_PORT} ended: token revoked or access lost`);
      child.kill("SIGINT");
    });
  });
});
