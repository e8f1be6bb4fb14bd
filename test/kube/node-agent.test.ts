// Proves the fake kubelet (test/helpers/kube/node-agent.ts) runs pods the way
// Podspace's Kubernetes driver will meet them: scheduled by the real
// scheduler, on volumes the PV binder bound, with status, events, exec,
// port-forward and logs all reached through the apiserver with
// @kubernetes/client-node. Needs root, and the control-plane binaries
// (scripts/kube/build-control-plane.sh).
import fs from "node:fs";
import { PassThrough, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import {
  CoreV1Api,
  Exec,
  PortForward,
  type CoreV1Event,
  type KubeConfig,
  type V1Container,
  type V1Pod,
  type V1Status,
} from "@kubernetes/client-node";
import type { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "@/lib/runtime/local/process-group";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";
import { startNodeAgent, TEST_STORAGE_CLASS, type NodeAgent } from "../helpers/kube/node-agent";

const SLOW = { timeout: 120_000 };
const namespace = "agent-test";
const IDE_PORT = 13337;

let cp: ControlPlane;
let agent: NodeAgent;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  cp = await startControlPlane();
  kc = cp.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  agent = await startNodeAgent({ kubeConfig: kc });
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await cp.waitForDefaultServiceAccount(namespace);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.stop();
}, 60_000);

// The IDE stand-in: answers /healthz with its pod's name, and leaves its pid in HOME.
const SERVER = `
const fs = require("node:fs");
fs.writeFileSync(process.env.HOME + "/server.pid", String(process.pid));
require("node:http")
  .createServer((req, res) => {
    res.writeHead(req.url === "/healthz" ? 200 : 404);
    res.end("ok " + process.env.POD_NAME);
  })
  .listen(${IDE_PORT}, () => console.log("listening on ${IDE_PORT}"));
`;

function pod(name: string, container: Partial<V1Container>): V1Pod {
  return { metadata: { name }, spec: { containers: [{ name: "main", image: "podspace/test", ...container }] } };
}

function serverPod(name: string, claimName?: string): V1Pod {
  const body = pod(name, {
    // process.execPath: PATH inside the pod needn't lead to Node 24.
    command: [process.execPath, "-e", SERVER],
    env: [
      { name: "HOME", value: "/home/coder" },
      { name: "POD_NAME", value: name },
    ],
    readinessProbe: { httpGet: { path: "/healthz", port: IDE_PORT }, periodSeconds: 1 },
    resources: { requests: { cpu: "100m", memory: "64Mi" } },
    volumeMounts: claimName ? [{ name: "home", mountPath: "/home/coder" }] : undefined,
  });
  if (claimName) body.spec!.volumes = [{ name: "home", persistentVolumeClaim: { claimName } }];
  return body;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const readPod = (name: string) => core.readNamespacedPod({ namespace, name });

function isReady(p: V1Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

async function eventsOf(name: string): Promise<CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items;
}

/** Collects what it is given; `rows`/`columns` make client-node treat it as a resizable terminal. */
class Terminal extends Writable {
  text = "";
  rows = 24;
  columns = 80;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

async function execIn(
  name: string,
  command: string[],
  options: { tty: boolean; input?: string; size?: { rows: number; columns: number } },
): Promise<{ output: string; status: V1Status }> {
  const output = new Terminal();
  const stdin = options.input === undefined ? null : new PassThrough();
  let onStatus!: (status: V1Status) => void;
  const status = new Promise<V1Status>((resolve) => (onStatus = resolve));
  const stderr = options.tty ? null : output;
  await new Exec(kc).exec(namespace, name, "main", command, output, stderr, stdin, options.tty, onStatus);
  if (options.size) {
    Object.assign(output, options.size);
    output.emit("resize");
  }
  if (options.input !== undefined) stdin!.write(options.input);
  const result = await status;
  // client-node ends the output stream when the status arrives.
  await finished(output);
  return { output: output.text, status: result };
}

/** An HTTP GET of /healthz written into a client-node port-forward to the pod's IDE port; the raw response. */
async function healthzThroughPortForward(name: string): Promise<string> {
  const input = new PassThrough();
  const output = new Terminal();
  const errors = new Terminal();
  const ws = (await new PortForward(kc).portForward(namespace, name, [IDE_PORT], output, errors, input)) as WebSocket;
  const closed = new Promise((resolve) => ws.once("close", resolve));
  input.write("GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n");
  // HTTP/1.0: the server closes the connection, and the agent then the WebSocket.
  await closed;
  expect(errors.text).toBe("");
  return output.text;
}

async function serverPid(name: string): Promise<number> {
  const { output } = await execIn(name, ["sh", "-c", 'cat "$HOME/server.pid"'], { tty: false });
  return Number(output.trim());
}

describe("node agent", () => {
  it("registers a Ready node with allocatable resources", SLOW, async () => {
    const node = await core.readNode({ name: agent.nodeName });
    expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(node.status?.allocatable).toMatchObject({ cpu: "8", memory: "16Gi", pods: "110" });
    expect(node.status?.addresses).toContainEqual({ type: "InternalIP", address: "127.0.0.1" });
  });

  it("provisions a hostPath volume that the PV binder binds to a claim", SLOW, async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: "home" },
        spec: {
          storageClassName: TEST_STORAGE_CLASS,
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "1Gi" } },
        },
      },
    });
    const claim = await eventually("the claim to bind", async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ namespace, name: "home" });
      return c.status?.phase === "Bound" ? c : undefined;
    });
    const volume = await core.readPersistentVolume({ name: claim.spec!.volumeName! });
    expect(volume.spec?.storageClassName).toBe(TEST_STORAGE_CLASS);
    expect(volume.spec?.capacity?.storage).toBe("1Gi");
    expect(fs.statSync(volume.spec!.hostPath!.path).isDirectory()).toBe(true);
  });

  it("runs a scheduled pod on its volume until it is Running and Ready", SLOW, async () => {
    await core.createNamespacedPod({ namespace, body: serverPod("ide", "home") });
    const ready = await eventually("pod ide to be Ready", async () => {
      const p = await readPod("ide");
      return isReady(p) ? p : undefined;
    });
    expect(ready.spec?.nodeName).toBe(agent.nodeName);
    expect(ready.status?.phase).toBe("Running");
    expect(ready.status?.podIP?.startsWith(agent.podNetwork.cidr.replace(/0\/24$/, ""))).toBe(true);
    expect(ready.status?.containerStatuses?.[0]).toMatchObject({ name: "main", ready: true, restartCount: 0 });
    expect(ready.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();

    // HOME is the claim's volume: the server wrote its pid there.
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace, name: "home" });
    const volume = await core.readPersistentVolume({ name: claim.spec!.volumeName! });
    expect(fs.readFileSync(`${volume.spec!.hostPath!.path}/server.pid`, "utf8")).toMatch(/^\d+$/);

    const reasons = (await eventsOf("ide")).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["Scheduled", "Pulling", "Pulled", "Created", "Started"]));
    expect(await core.readNamespacedPodLog({ namespace, name: "ide" })).toContain(`listening on ${IDE_PORT}`);
  });

  it("execs a command under a tty and reports its exit status", SLOW, async () => {
    const answer = await execIn("ide", ["sh", "-c", "echo $((6*7))"], { tty: true });
    expect(answer.output).toContain("42");
    expect(answer.status).toMatchObject({ status: "Success" });

    const failure = await execIn("ide", ["sh", "-c", "exit 3"], { tty: true });
    expect(failure.status).toMatchObject({
      status: "Failure",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    });
  });

  it("resizes the exec terminal", SLOW, async () => {
    const { output } = await execIn("ide", ["sh"], {
      tty: true,
      input: "stty size; exit\n",
      size: { rows: 30, columns: 100 },
    });
    // After the prompt (dash's "# ") and the echoed input.
    expect(output).toMatch(/\b30 100\r?$/m);
  });

  it("forwards a port into the pod through the apiserver", SLOW, async () => {
    const response = await healthzThroughPortForward("ide");
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toContain("ok ide");
  });

  it("gives each pod its own network, so two pods both listen on the IDE port", SLOW, async () => {
    await core.createNamespacedPod({ namespace, body: serverPod("twin") });
    await eventually("pod twin to be Ready", async () => (isReady(await readPod("twin")) ? true : undefined));
    expect(isReady(await readPod("ide"))).toBe(true);
    expect(await healthzThroughPortForward("twin")).toContain("ok twin");
    expect(await healthzThroughPortForward("ide")).toContain("ok ide");
  });

  it("reports ErrImagePull, then ImagePullBackOff, for an image that can't be pulled", SLOW, async () => {
    await core.createNamespacedPod({ namespace, body: pod("bad-image", { image: "registry.invalid/x", command: ["true"] }) });
    const seen = new Set<string>();
    await eventually("ErrImagePull and ImagePullBackOff", async () => {
      const reason = (await readPod("bad-image")).status?.containerStatuses?.[0]?.state?.waiting?.reason;
      if (reason) seen.add(reason);
      return seen.has("ErrImagePull") && seen.has("ImagePullBackOff") ? true : undefined;
    });
    const p = await readPod("bad-image");
    expect(p.status?.phase).toBe("Pending");
    expect(p.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain("registry.invalid/x");
    const failed = (await eventsOf("bad-image")).filter((e) => e.reason === "Failed" && e.type === "Warning");
    expect(failed.map((e) => e.message)).toContainEqual(expect.stringContaining('Failed to pull image "registry.invalid/x"'));
  });

  it("kills a container that goes over its memory limit as OOMKilled", SLOW, async () => {
    const hog = pod("hog", {
      command: [process.execPath, "-e", "const kept = []; setInterval(() => kept.push(Buffer.alloc(16 << 20, 1)), 50);"],
      resources: { limits: { memory: "64Mi" } },
    });
    hog.spec!.restartPolicy = "Never";
    await core.createNamespacedPod({ namespace, body: hog });
    const done = await eventually("hog to be killed", async () => {
      const p = await readPod("hog");
      return p.status?.phase === "Failed" ? p : undefined;
    });
    expect(done.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      reason: "OOMKilled",
      exitCode: 137,
    });
  });

  it("stops the process when a pod is deleted, gracefully or by force", SLOW, async () => {
    const idePid = await serverPid("ide");
    const twinPid = await serverPid("twin");
    expect(isAlive(idePid) && isAlive(twinPid)).toBe(true);

    // Graceful: the agent stops the process, then makes the final delete.
    await core.deleteNamespacedPod({ namespace, name: "ide" });
    await eventually("pod ide to disappear", () => readPod("ide").then(() => undefined, () => true));
    expect(isAlive(idePid)).toBe(false);

    // Forced (kubectl delete --force): the object is gone at once; the process follows.
    await core.deleteNamespacedPod({ namespace, name: "twin", gracePeriodSeconds: 0 });
    await eventually("twin's process to end", async () => (isAlive(twinPid) ? undefined : true), 10_000);
  });

  it("deletes the volume and its directory with the claim", SLOW, async () => {
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace, name: "home" });
    const volume = await core.readPersistentVolume({ name: claim.spec!.volumeName! });
    await core.deleteNamespacedPersistentVolumeClaim({ namespace, name: "home" });
    await eventually("the volume to be deleted", () =>
      core.readPersistentVolume({ name: volume.metadata!.name! }).then(() => undefined, () => true),
    );
    expect(fs.existsSync(volume.spec!.hostPath!.path)).toBe(false);
  });

  it("keeps working across an apiserver restart", SLOW, async () => {
    await cp.restartApiServer();
    await core.createNamespacedPod({ namespace, body: serverPod("after-restart") });
    await eventually("pod after-restart to be Ready", async () => (isReady(await readPod("after-restart")) ? true : undefined));
    expect(await healthzThroughPortForward("after-restart")).toContain("ok after-restart");
  });
});
