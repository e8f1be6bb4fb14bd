import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { RuntimeEvent, TerminalSession, WorkspaceRuntime, WorkspaceSpec } from "@/lib/runtime/types";
import { contractSpec, outputLine, runInTerminal, TEST_SHARED_PATHS, waitForIdeReady } from "./contract";
import { egressProcesses, endLocalWorkspaces } from "../helpers/local-workspaces";

// A local workspace's way out (slirp4netns): from its shell and from the
// first line of its startup script, what the host serves on its network
// address answers, what it serves on its loopback doesn't, names resolve
// through slirp's DNS, and stopping the workspace ends its slirp4netns.

/** The host's address on its network, where a workspace's traffic goes out. */
function hostAddress(): string {
  const address = Object.values(os.networkInterfaces())
    .flat()
    .find((info) => info?.family === "IPv4" && !info.internal)?.address;
  if (!address) throw new Error("this host has no non-loopback IPv4 address to serve the test on");
  return address;
}

/** An HTTP server on `host` that answers every request with `body`. */
async function serve(host: string, body: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_request, response) => response.end(`${body}\n`));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A shell command that prints the body of GET http://host:port/, or `unreachable`. */
const httpGet = (host: string, port: number) =>
  `timeout 5 bash -c 'exec 3<>/dev/tcp/${host}/${port} && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3' 2>/dev/null | tail -n 1 | grep . || echo unreachable`;

describe("a local workspace's outbound network", { timeout: 60_000 }, () => {
  let dataDir: string;
  let runtime: WorkspaceRuntime;
  let shell: TerminalSession;
  const servers: http.Server[] = [];
  let network: { port: number };
  let loopback: { port: number };
  let spec: WorkspaceSpec;
  const events: RuntimeEvent[] = [];
  const run = async (command: string, expected: RegExp) => runInTerminal(shell, command, expected);

  beforeAll(async () => {
    for (const [host, body] of [[hostAddress(), "served-on-the-network"], ["127.0.0.1", "served-on-loopback"]] as const) {
      const served = await serve(host, body);
      servers.push(served.server);
      if (host === "127.0.0.1") loopback = served;
      else network = served;
    }
    // Its first command: run before the sandbox's network is up, it would find none.
    spec = contractSpec("egress", { startupScript: `{ ${httpGet(hostAddress(), network.port)}; } > first-request.txt` });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-egress-"));
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    runtime.watch((event) => events.push(event));
    await runtime.provision(spec);
    await runtime.start(spec);
    await waitForIdeReady(events, spec);
    shell = await runtime.attachTerminal(spec, { cols: 200, rows: 50 });
  });
  afterAll(async () => {
    shell?.close();
    await runtime?.close();
    await endLocalWorkspaces(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
    for (const server of servers) server.close();
  });

  it("reaches a server on the host's network address", async () => {
    await run(httpGet(hostAddress(), network.port), outputLine("served-on-the-network"));
  });

  it("has the network from the first line of its startup script", async () => {
    const firstRequest = path.join(dataDir, "workspaces", spec.id, "first-request.txt");
    await expect.poll(() => fs.readFile(firstRequest, "utf8").catch(() => ""), { timeout: 10_000 }).toBe("served-on-the-network\n");
  });

  it("doesn't reach the host's loopback, neither as its own 127.0.0.1 nor through slirp's gateway", async () => {
    // 10.0.2.2 is slirp's host address: without --disable-host-loopback it leads to the host's 127.0.0.1.
    for (const host of ["127.0.0.1", "10.0.2.2"]) {
      const output = await run(`${httpGet(host, loopback.port)}; echo probed-${host}`, outputLine(`probed-${host}`));
      expect(output).toMatch(outputLine("unreachable"));
      expect(output).not.toMatch(/served-on-loopback/);
    }
  });

  it("has slirp's DNS forwarder as its resolver", async () => {
    await run("cat /etc/resolv.conf", outputLine("nameserver 10.0.2.3"));
  });

  it("ends its slirp4netns when the workspace stops", async () => {
    expect(await egressProcesses(spec.id)).toHaveLength(1);
    await runtime.stop(spec);
    expect(await egressProcesses(spec.id)).toEqual([]);
  });
});
