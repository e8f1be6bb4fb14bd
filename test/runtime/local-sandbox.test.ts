import { once } from "node:events";
import fs from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { RuntimeEvent, TerminalSession, WorkspaceRuntime } from "@/lib/runtime/types";
import { contractSpec, getThroughIde, outputLine, runInTerminal, TEST_SHARED_PATHS, waitForIdeReady } from "./contract";
import { endLocalWorkspaces } from "../helpers/local-workspaces";

// The trust boundary on the local runtime: what a member's shell tried
// against an unsandboxed Podspace (issue 14) must fail from inside a
// workspace's sandbox. Two workspaces run side by side; A's shell is the
// attacker.

const CANARY = "podspace-secret-canary";

describe("the local runtime's sandbox", { timeout: 60_000 }, () => {
  let dataDir: string;
  let runtime: WorkspaceRuntime;
  let shell: TerminalSession;
  const attacker = contractSpec("sbxattacker");
  const victim = contractSpec("sbxvictim");
  const events: RuntimeEvent[] = [];
  /** Runs a command in A's shell and resolves with its output's last marked line. */
  const run = async (command: string) => {
    const marker = `done-${Math.random().toString(36).slice(2)}`;
    const output = await runInTerminal(shell, `${command}; echo ${marker}`, outputLine(marker));
    return output;
  };

  beforeAll(async () => {
    process.env.PODSPACE_SANDBOX_CANARY = CANARY;
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-sandbox-"));
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    runtime.watch((event) => events.push(event));
    for (const spec of [attacker, victim]) {
      await runtime.provision(spec);
      await runtime.start(spec);
      await waitForIdeReady(events, spec);
    }
    await fs.writeFile(path.join(dataDir, "workspaces", victim.id, "secret.txt"), "victim's file\n");
    shell = await runtime.attachTerminal(attacker, { cols: 200, rows: 50 });
  });
  afterAll(async () => {
    shell?.close();
    delete process.env.PODSPACE_SANDBOX_CANARY;
    await runtime?.close();
    await endLocalWorkspaces(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("shows no process of Podspace's, and no secret of its environment", async () => {
    // Every process the shell can see, and every environment it can read.
    const output = await run(`ls /proc | grep -c '^[0-9]' ; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c ${CANARY}`);
    const [visible, leaked] = output.split("\n").map((line) => line.trim()).filter((line) => /^\d+$/.test(line)).map(Number);
    expect(leaked).toBe(0);
    // bwrap's init, the shell and what the workspace started: a handful, not the host's hundreds.
    expect(visible).toBeLessThan(15);
    expect(await run(`test -e /proc/${process.pid} && echo podspace-visible || echo podspace-hidden`)).toMatch(outputLine("podspace-hidden"));
  });

  it("can't see Podspace's data dir, its database or another workspace's home", async () => {
    const paths = [dataDir, path.join(dataDir, "workspaces"), path.join(dataDir, "workspaces", victim.id, "secret.txt")];
    for (const hostPath of paths) {
      expect(await run(`test -e '${hostPath}' && echo found || echo absent`)).toMatch(outputLine("absent"));
    }
    expect(await run("ls /home")).toMatch(outputLine("coder"));
    expect(await run("ls /home/coder/secret.txt 2>&1")).toMatch(/No such file/);
  });

  it("can't reach the host's loopback: not PostgreSQL, not another workspace's IDE", async () => {
    const probe = (port: number) => `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo open-${port} || echo closed-${port}`;
    // PostgreSQL listens on the host's 127.0.0.1:5432 (the suite's own database).
    expect(await run(probe(5432))).toMatch(outputLine("closed-5432"));
    // Every workspace's relay sockets are in Podspace's own folders, which no sandbox has; not even its own are left in its runtime dir.
    expect(await run("echo sockets-$(ls -A /run/podspace | wc -l)")).toMatch(outputLine("sockets-0"));
    expect(await run(`ls ${path.join(dataDir, "runtime")} 2>&1`)).toMatch(/No such file/);
  });

  it("can't make Podspace connect elsewhere by putting symlinks where the relay's sockets were", async () => {
    // Sockets on the host the attacker would have Podspace (root) reach
    // instead: a host service's (a container engine's, say), or another
    // workspace's. The sandbox shows the host path of its runtime dir in
    // its mountinfo, so such paths aren't secret. One answers HTTP, the
    // other the relay's ports protocol.
    const hostHttp = http.createServer((_request, response) => response.end("a host socket"));
    const hostPorts = net.createServer((client) => client.once("data", () => client.end("+HTTP/1.0 200 OK\r\n\r\na host socket")));
    const hostHttpPath = path.join(dataDir, "host-http.sock");
    const hostPortsPath = path.join(dataDir, "host-ports.sock");
    await Promise.all([once(hostHttp.listen(hostHttpPath), "listening"), once(hostPorts.listen(hostPortsPath), "listening")]);
    try {
      await run(`ln -sf ${hostHttpPath} /run/podspace/ide.sock; ln -sf ${hostPortsPath} /run/podspace/ports.sock`);
      expect((await getThroughIde(runtime, attacker, "/")).body).toMatch(/^test ide at \//);
      // Nothing listens on that port in the attacker's sandbox.
      await expect(runtime.portTarget(attacker, 18080).then((target) => target.connect())).rejects.toMatchObject({ code: "not-listening" });
    } finally {
      hostHttp.close();
      hostPorts.close();
    }
  });

  it("writes only to its home: the system is read-only", async () => {
    expect(await run("touch /usr/pwned 2>&1; touch /etc/pwned 2>&1; echo written > ~/mine.txt && cat ~/mine.txt")).toMatch(outputLine("written"));
    await expect(fs.access("/usr/pwned")).rejects.toThrow();
    await expect(fs.readFile(path.join(dataDir, "workspaces", attacker.id, "mine.txt"), "utf8")).resolves.toBe("written\n");
  });

  it("has a /tmp and a /var/tmp of its own that its user can write, as programs expect (sticky, world-writable)", async () => {
    expect(await run("echo modes $(stat -c %a /tmp /var/tmp)")).toMatch(outputLine("modes 1777 1777"));
    expect(await run("mktemp >/dev/null && mktemp -d -p /var/tmp >/dev/null && echo scratch-ok")).toMatch(outputLine("scratch-ok"));
  });

  it("is user coder, in a passwd that lists none of the host's users", async () => {
    expect(await run("whoami")).toMatch(outputLine("coder"));
    expect(await run("getent passwd | wc -l")).toMatch(outputLine("2"));
  });

  it("runs as a uid that isn't Podspace's when Podspace is root", async ({ skip }) => {
    if (process.getuid?.() !== 0) skip("Podspace runs as an ordinary user: the workspace's uid maps to Podspace's own");
    const output = await run("id -u");
    const uid = Number(output.split("\n").map((line) => line.trim()).find((line) => /^\d+$/.test(line)));
    expect(uid).toBeGreaterThan(0);
    expect(uid).not.toBe(process.getuid?.());
    expect(await run("grep -E '^CapEff' /proc/self/status")).toMatch(/CapEff:\s+0+\s/);
  });
});
