// The Kubernetes driver with pods that run: a real control plane plus the
// test node agent (a fake kubelet running pods as local processes). Runs the
// runtime contract every driver meets, then what only a cluster does:
// scheduler refusals, image pull failures, OOM kills, crash loops, pods
// deleted behind Podspace's back, exec exit codes and backpressure, and a
// workspace whose terminal works before its IDE answers.
// Needs root (the agent uses network namespaces) and the control-plane binaries.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { createKubernetesRuntime, type KubernetesRuntimeOptions } from "@/lib/runtime/kubernetes/driver";
import { RUNTIME_STEPS, type RuntimeStep, type RuntimeEvent, type TerminalSession, type WorkspaceRuntime, type WorkspaceSpec } from "@/lib/runtime/types";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";
import { startNodeAgent, TEST_STORAGE_CLASS, type NodeAgent } from "../helpers/kube/node-agent";
import { contractSpec, describeRuntimeContract, outputLine, runInTerminal, waitForState } from "../runtime/contract";

const SLOW = { timeout: 120_000 };

let cp: ControlPlane;
let kc: KubeConfig;
let agent: NodeAgent;
let runtime: WorkspaceRuntime;

beforeAll(async () => {
  cp = await startControlPlane();
  kc = cp.kubeConfig();
  agent = await startNodeAgent({ kubeConfig: kc });
  runtime = createKubernetesRuntime(runtimeOptions());
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await agent?.stop();
  await cp?.stop();
}, 60_000);

function runtimeOptions(): KubernetesRuntimeOptions {
  return { kubeConfig: kc, namespacePrefix: "podspace-", storageClass: TEST_STORAGE_CLASS, egressAllow: [], selfNamespace: "podspace", inCluster: false };
}

async function eventually(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The workspace's pods, services and claims, and the volumes bound for them. */
async function objectsOf(spec: WorkspaceSpec) {
  const core = kc.makeApiClient(CoreV1Api);
  const query = { namespace: `podspace-${spec.teamSlug}`, labelSelector: `podspace.dev/workspace=${spec.id}` };
  const [pods, services, claims, volumes] = await Promise.all([
    core.listNamespacedPod(query),
    core.listNamespacedService(query),
    core.listNamespacedPersistentVolumeClaim(query),
    core.listPersistentVolume(),
  ]);
  const ownVolumes = volumes.items.filter((pv) => pv.spec?.claimRef?.name === `ws-${spec.id}-home`);
  return [...pods.items, ...services.items, ...claims.items, ...ownVolumes];
}

describeRuntimeContract("kubernetes", async () => ({
  runtime,
  async assertNothingLeft(spec) {
    const deadline = Date.now() + 60_000;
    // The claim's volume goes after the claim (the provisioner releases it).
    while ((await objectsOf(spec)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect((await objectsOf(spec)).map((o) => `${o.kind ?? "object"} ${o.metadata?.name}`)).toEqual([]);
  },
  // The control plane, agent and runtime belong to this file and end in its afterAll.
  async teardown() {},
}));

describe("kubernetes driver on a node", () => {
  const events: RuntimeEvent[] = [];
  let unwatch: () => void;
  const team = "node";

  beforeAll(async () => {
    unwatch = runtime.watch((event) => events.push(event));
    await runtime.prepareTeam({
      slug: team,
      limits: { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null },
    });
  }, 120_000);

  afterAll(() => unwatch?.());

  function spec(id: string, overrides: Partial<WorkspaceSpec> = {}): WorkspaceSpec {
    return contractSpec(id, { teamSlug: team, ...overrides });
  }

  async function started(workspace: WorkspaceSpec): Promise<WorkspaceSpec> {
    await runtime.provision(workspace);
    await runtime.start(workspace);
    return workspace;
  }

  /** The first event in `seen` about workspace `id` that matches, once there is one. */
  function eventIn(seen: RuntimeEvent[], id: string, predicate: (event: RuntimeEvent) => boolean, timeoutMs = 60_000): Promise<RuntimeEvent> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const check = () => {
        const found = seen.find((event) => event.workspaceId === id && predicate(event));
        if (found) resolve(found);
        else if (Date.now() > deadline) reject(new Error(`no such event for ${id}; got ${JSON.stringify(seen.filter((e) => e.workspaceId === id))}`));
        else setTimeout(check, 200);
      };
      check();
    });
  }

  const eventFor = (id: string, predicate: (event: RuntimeEvent) => boolean, timeoutMs?: number) => eventIn(events, id, predicate, timeoutMs);

  /** The progress steps reported for workspace `id`, in order, repeats included. */
  const stepsOf = (id: string, seen = events) =>
    seen.flatMap((event) => (event.workspaceId === id && event.type === "progress" ? [event.step] : []));

  const failedWith = (reason: string) => (event: RuntimeEvent) =>
    event.type === "status" && event.status.state === "failed" && event.status.reason === reason;

  it("reports each step of a start in order, from the volume to ready", SLOW, async () => {
    const workspace = await started(spec("steps1"));
    await waitForState(runtime, workspace, "running", 90_000);
    await eventFor(workspace.id, (event) => event.type === "progress" && event.step === "ready");
    const steps = stepsOf(workspace.id);
    const firsts = RUNTIME_STEPS.map((step) => steps.indexOf(step));
    expect(firsts.every((index) => index >= 0)).toBe(true);
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
    const image = events.find((event) => event.workspaceId === workspace.id && event.type === "progress" && event.step === "image");
    expect(image).toMatchObject({ message: expect.stringMatching(/pull/i) });
  });

  it("warns, once the IDE is ready, that the startup script failed, with its exit code and output", SLOW, async () => {
    const workspace = await started(spec("script1", { startupScript: "echo script-output; exit 4" }));
    const warning = await eventFor(workspace.id, (event) => event.type === "progress" && event.warning === true, 90_000);
    expect(warning).toMatchObject({ step: "ide", message: "The template's startup script failed with exit code 4; the IDE started all the same.\nscript-output" });
    expect(stepsOf(workspace.id)).toContain("ready");
  });

  it("reports the scheduler's reason when no node has room", SLOW, async () => {
    const workspace = await started(spec("toobig1", { resources: { cpuMillicores: 64_000, memoryMiB: 512, diskGiB: 1 } }));
    const progress = await eventFor(workspace.id, (event) => event.type === "progress" && event.step === "scheduling" && /Insufficient cpu/.test(event.message));
    expect(progress.type === "progress" && progress.message).toMatch(/0\/1 nodes are available: 1 Insufficient cpu/);
    await eventFor(workspace.id, failedWith("scheduling"));
    expect(await runtime.status(workspace)).toMatchObject({ state: "failed", reason: "scheduling" });
  });

  it("fails with reason image when the image can't be pulled", SLOW, async () => {
    const workspace = await started(spec("noimage1", { image: "registry.invalid/podspace/ide:1" }));
    const failed = await eventFor(workspace.id, failedWith("image"));
    expect(failed.type === "status" && failed.status.message).toMatch(/registry\.invalid\/podspace\/ide:1/);
    expect(await runtime.status(workspace)).toMatchObject({ state: "failed", reason: "image" });
  });

  it("fails with reason oom when the workspace outgrows its memory", SLOW, async () => {
    const hog = "const hold = []; setInterval(() => hold.push(Buffer.alloc(16 * 2 ** 20, 1)), 50);";
    const workspace = await started(
      spec("oom1", { resources: { cpuMillicores: 500, memoryMiB: 96, diskGiB: 1 }, ide: { command: [process.execPath, "-e", hog], port: 13337, healthPath: "/healthz" } }),
    );
    const failed = await eventFor(workspace.id, failedWith("oom"), 90_000);
    expect(failed.type === "status" && failed.status.message).toMatch(/ran out of memory \(its limit is 96Mi\)/);
  });

  it("fails with reason crashed when the IDE keeps exiting", SLOW, async () => {
    const workspace = await started(spec("crash1", { ide: { command: ["sh", "-c", "exit 3"], port: 13337, healthPath: "/healthz" } }));
    const failed = await eventFor(workspace.id, failedWith("crashed"), 90_000);
    expect(failed.type === "status" && failed.status.message).toMatch(/last exit code 3/);
  });

  it("reports a running pod deleted outside Podspace, and not one Podspace stopped", SLOW, async () => {
    const stopped = await started(spec("stopme1"));
    const deleted = await started(spec("killme1"));
    await waitForState(runtime, stopped, "running", 90_000);
    await waitForState(runtime, deleted, "running", 90_000);

    await runtime.stop(stopped);
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ namespace: `podspace-${team}`, name: `ws-${deleted.id}`, gracePeriodSeconds: 0 });

    const failed = await eventFor(deleted.id, failedWith("deleted"));
    expect(failed.type === "status" && failed.status.message).toMatch(/deleted outside Podspace/);
    await eventFor(stopped.id, (event) => event.type === "status" && event.status.state === "stopped" && event.status.message === "Stopped", 90_000);
    expect(events.some((event) => event.workspaceId === stopped.id && failedWith("deleted")(event))).toBe(false);
  });

  /** The key the workspace's container was started with: an exec without the spec's secret environment sees the container's. */
  async function podsKey(workspace: WorkspaceSpec): Promise<string> {
    let printed = "";
    const command = ["/bin/sh", "-c", 'printf %s "$OPENAI_API_KEY"'];
    await runtime.exec({ ...workspace, secretEnv: undefined }, { command, onStdout: (chunk) => void (printed += chunk.toString()), onStderr: () => {}, timeoutMs: 10_000 });
    return printed;
  }

  it("gives a workspace its secret environment from a Secret, never in the pod's spec, and deletes it when the workspace stops", SLOW, async () => {
    const key = "pdsai_secretenv1.start.signature";
    const workspace = await started(spec("secretenv1", { secretEnv: { OPENAI_API_KEY: key } }));
    await waitForState(runtime, workspace, "running", 90_000);
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = `podspace-${team}`;
    // What whoever may read pods sees (a cluster's view role reads pods, not Secrets).
    const pod = await core.readNamespacedPod({ namespace, name: `ws-${workspace.id}` });
    expect(JSON.stringify(pod)).not.toContain(key);
    // The IDE's process has it, from the Secret.
    expect(await podsKey(workspace)).toBe(key);

    await runtime.stop(workspace);
    const status = (promise: Promise<unknown>) => promise.then(() => 200, (error: { code?: number }) => error.code);
    expect(await status(core.readNamespacedSecret({ namespace, name: `ws-${workspace.id}-env` }))).toBe(404);
    // A new start writes the new key over whatever an interrupted one left.
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: `ws-${workspace.id}-env` }, stringData: { OPENAI_API_KEY: "stale" } } });
    const restarted = { ...workspace, secretEnv: { OPENAI_API_KEY: `${key}2` } };
    await runtime.start(restarted);
    await waitForState(runtime, restarted, "running", 90_000);
    expect(await podsKey(restarted)).toBe(`${key}2`);
    await runtime.destroy(restarted);
    expect(await status(core.readNamespacedSecret({ namespace, name: `ws-${workspace.id}-env` }))).toBe(404);
  });

  it("hands a running workspace over in place: owner labels follow, and its terminal and exec carry the spec's environment, not the pod's", SLOW, async () => {
    const pooled = await started(spec("handover1", { ownerId: "pool-account", env: { PODSPACE_WORKSPACE_NAME: "warm-1" } }));
    await waitForState(runtime, pooled, "running", 90_000);
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = `podspace-${team}`;
    const podBefore = await core.readNamespacedPod({ namespace, name: `ws-${pooled.id}` });
    expect(podBefore.metadata?.labels?.["podspace.dev/user"]).toBe("pool-account");

    const claimed = { ...pooled, ownerId: "user-2", name: "mine", env: { PODSPACE_WORKSPACE_NAME: "mine" } };
    await runtime.handOver(claimed);

    const [pod, service, claim] = await Promise.all([
      core.readNamespacedPod({ namespace, name: `ws-${pooled.id}` }),
      core.readNamespacedService({ namespace, name: `ws-${pooled.id}` }),
      core.readNamespacedPersistentVolumeClaim({ namespace, name: `ws-${pooled.id}-home` }),
    ]);
    for (const object of [pod, service, claim]) expect(object.metadata?.labels?.["podspace.dev/user"]).toBe("user-2");
    expect(pod.metadata?.uid).toBe(podBefore.metadata?.uid);
    const terminal = await runtime.attachTerminal(claimed, { cols: 80, rows: 24 });
    expect(await runInTerminal(terminal, 'echo "name=$PODSPACE_WORKSPACE_NAME"', outputLine("name=mine"))).toBeTruthy();
    terminal.close();
    let printed = "";
    await runtime.exec(claimed, { command: ["printenv", "PODSPACE_WORKSPACE_NAME"], onStdout: (chunk) => void (printed += chunk.toString()), onStderr: () => {}, timeoutMs: 10_000 });
    expect(printed).toBe("mine\n");
    await runtime.destroy(claimed);
  });

  describe("terminal", () => {
    let workspace: WorkspaceSpec;
    beforeAll(async () => {
      workspace = await started(spec("term1"));
      await waitForState(runtime, workspace, "running", 90_000);
    }, 120_000);

    it("reports the shell's exit code", SLOW, async () => {
      const terminal = await runtime.attachTerminal(workspace, { cols: 80, rows: 24 });
      const exit = new Promise((resolve) => terminal.onExit(resolve));
      terminal.write("exit 7\r");
      expect(await exit).toEqual({ code: 7 });
    });

    it("holds the shell's output back while paused", SLOW, async () => {
      const terminal: TerminalSession = await runtime.attachTerminal(workspace, { cols: 80, rows: 24 });
      let received = 0;
      let tail = "";
      terminal.onData((data) => {
        received += data.byteLength;
        tail = (tail + Buffer.from(data).toString("utf8")).slice(-200);
      });
      const shows = async (pattern: RegExp) => {
        const deadline = Date.now() + 60_000;
        while (!pattern.test(tail)) {
          if (Date.now() > deadline) throw new Error(`no ${pattern} at the end of the output: ${JSON.stringify(tail)}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      try {
        terminal.write("echo ready\r");
        await shows(/[\r\n]ready\r?\n/);
        terminal.pause();
        const before = received;
        // Far more than the socket and PTY buffers hold; the quotes keep the echoed command from matching.
        terminal.write("head -c 20000000 /dev/zero | tr '\\0' x; echo; echo fin''ished\r");
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expect(received - before).toBeLessThan(1_000_000);
        terminal.resume();
        await shows(/finished\r?\n/);
        expect(received - before).toBeGreaterThan(20_000_000);
      } finally {
        terminal.close();
      }
    });
  });

  describe("an IDE slower than its shell", () => {
    // The startup script runs before the IDE, so for this long the container
    // (and with it the terminal) runs while the IDE's health check fails.
    const slowIde = (id: string) => spec(id, { startupScript: "sleep 8" });
    const isRunning = (event: RuntimeEvent) => event.type === "status" && event.status.state === "running";
    const isStep = (step: RuntimeStep) => (event: RuntimeEvent) => event.type === "progress" && event.step === step;
    /** The steps that follow the container's start; each must be reported once. */
    const laterSteps = (id: string, seen = events) => stepsOf(id, seen).filter((step) => ["shell", "ide", "ready"].includes(step));

    it("is running, with a working terminal, before the IDE is ready", SLOW, async () => {
      const workspace = await started(slowIde("slowide1"));
      await eventFor(workspace.id, isRunning, 90_000);
      expect(stepsOf(workspace.id)).not.toContain("ready");
      expect(await runtime.status(workspace)).toMatchObject({ state: "running" });

      const terminal = await runtime.attachTerminal(workspace, { cols: 80, rows: 24 });
      try {
        await runInTerminal(terminal, "echo $((6*7))", outputLine("42"));
      } finally {
        terminal.close();
      }
      expect(stepsOf(workspace.id)).not.toContain("ready");

      const ready = await eventFor(workspace.id, isStep("ready"), 60_000);
      expect(ready).toMatchObject({ message: "IDE ready" });
      expect(laterSteps(workspace.id)).toEqual(["shell", "ide", "ready"]);
      expect(events.filter((event) => event.workspaceId === workspace.id && isStep("shell")(event))).toEqual([
        { type: "progress", workspaceId: workspace.id, step: "shell", message: "Container running; the terminal is ready" },
      ]);
      expect(events.find((event) => event.workspaceId === workspace.id && isStep("ide")(event))).toMatchObject({
        message: "Waiting for the IDE to answer /healthz",
      });
    });

    it("reports none of those steps again when the watch lists everything anew", SLOW, async () => {
      const before = laterSteps("slowide1");
      expect(before).toEqual(["shell", "ide", "ready"]);
      const retries = vi.spyOn(console, "warn");
      try {
        // Cuts every watch; the driver lists pods, volumes and events again.
        await cp.restartApiServer();
        await eventually("the watch to fail and list again", () => retries.mock.calls.some(([line]) => /listing and watching again/.test(String(line))));
        // A pod made after the restart is seen only once the watch is back, so after that list.
        const marker = await started(spec("marker1"));
        await eventFor(marker.id, (event) => event.type === "status", 90_000);
        expect(laterSteps("slowide1")).toEqual(before);
        await runtime.destroy(marker);
      } finally {
        retries.mockRestore();
      }
    });

    it("reports the IDE ready to a watch that began after the container started, and not the steps before", SLOW, async () => {
      const workspace = await started(slowIde("slowide2"));
      await eventFor(workspace.id, isRunning, 90_000);
      // Another Podspace process (a restart, another replica) starts watching now.
      const late = createKubernetesRuntime(runtimeOptions());
      const seen: RuntimeEvent[] = [];
      const stop = late.watch((event) => seen.push(event));
      try {
        await eventIn(seen, workspace.id, isRunning);
        expect(stepsOf(workspace.id)).not.toContain("ready");
        await eventIn(seen, workspace.id, isStep("ready"), 60_000);
        expect(stepsOf(workspace.id, seen)).toEqual(["ready"]);
      } finally {
        stop();
        await late.close();
      }
    });
  });
});
