// runOnHome on Kubernetes: restic in a pod beside a workspace's home volume,
// against a real control plane, the test node agent (which runs the pod's
// command as a local process, its volumes mounted at their paths and its
// environment read from the Secret) and a real S3-protocol server (s3rver)
// on the pod network's gateway. A backup of one workspace restores into
// another's volume, files alike; the Secret and the pod are gone after
// every run (or the next, for a run Podspace never finished); a failure's
// exit code and message come back.
// Needs root (the agent uses network and mount namespaces) and the control-plane binaries.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { restic, runRestic } from "@/lib/backups/restic";
import type { BackupStore } from "@/lib/backups/store";
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import { HOME_TOOL_LABEL, homeToolObjects } from "@/lib/runtime/kubernetes/home-tool-pod";
import { RuntimeError, WORKSPACE_HOME, type HomeToolRun, type WorkspaceRuntime, type WorkspaceSpec } from "@/lib/runtime/types";
import { startControlPlane, type ControlPlane } from "../helpers/kube/control-plane";
import { startNodeAgent, TEST_STORAGE_CLASS, type NodeAgent } from "../helpers/kube/node-agent";
import { startS3Server, type TestS3Server } from "../helpers/s3-server";
import { contractSpec, waitForState } from "../runtime/contract";

const SLOW = { timeout: 120_000 };
const TEAM = "backups";
const NAMESPACE = `podspace-${TEAM}`;

let cp: ControlPlane;
let kc: KubeConfig;
let agent: NodeAgent;
let runtime: WorkspaceRuntime;
let s3: TestS3Server;
let store: BackupStore;
const source = contractSpec("hometoolsrc", { teamSlug: TEAM });
const target = contractSpec("hometooldst", { teamSlug: TEAM });

beforeAll(async () => {
  cp = await startControlPlane();
  kc = cp.kubeConfig();
  agent = await startNodeAgent({ kubeConfig: kc });
  runtime = createKubernetesRuntime({
    kubeConfig: kc,
    namespacePrefix: "podspace-",
    storageClass: TEST_STORAGE_CLASS,
    egressAllow: [],
    selfNamespace: "podspace",
    inCluster: false,
  });
  // Pods reach the host at their gateway, as pods reach a store outside the cluster.
  s3 = await startS3Server("podspace-backups", agent.podNetwork.cidr.replace(/\.0\/24$/, ".1"));
  store = { kind: "s3", endpoint: s3.endpoint, bucket: s3.bucket, prefix: "k8s", region: "us-east-1", pathStyle: true, caFile: s3.caFile };
  await runtime.prepareTeam({
    slug: TEAM,
    limits: { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null },
  });
  await runtime.provision(source);
  await runtime.provision(target);
}, 180_000);

afterAll(async () => {
  await runtime?.close();
  await agent?.stop();
  await cp?.stop();
  await s3?.close();
}, 60_000);

/** The host directory of the workspace's home volume (the agent's volumes are hostPath). */
async function homeDirOf(spec: WorkspaceSpec): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, name: `ws-${spec.id}-home` });
    if (claim.spec?.volumeName) return (await core.readPersistentVolume({ name: claim.spec.volumeName })).spec!.hostPath!.path;
    if (Date.now() > deadline) throw new Error(`the home volume of ${spec.id} was not bound`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What runOnHome left behind in the team's namespace. */
async function leftovers(): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const query = { namespace: NAMESPACE, labelSelector: HOME_TOOL_LABEL };
  const [pods, secrets] = await Promise.all([core.listNamespacedPod(query), core.listNamespacedSecret(query)]);
  return [...pods.items, ...secrets.items].map((object) => `${object.kind ?? "object"} ${object.metadata?.name}`);
}

/** restic on the team's repository with s3rver's credentials (lib/env.ts read AWS_* before the test could set them). */
function resticRun(teamId: string, args: string[]) {
  const invocation = restic(store, teamId, args);
  return { ...invocation, env: { ...invocation.env, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" } };
}

function shell(script: string, access: HomeToolRun["access"], lines: string[] = []): HomeToolRun {
  return { command: ["sh", "-c", script], env: {}, hostPaths: [], access, onStdoutLine: (line) => lines.push(line) };
}

describe("runOnHome on Kubernetes", () => {
  it("backs a running workspace's home up to S3 and restores it into another's, files, modes, symlinks and empty folders alike", SLOW, async () => {
    await runtime.start(source);
    await waitForState(runtime, source, "running");
    const home = await homeDirOf(source);
    await fs.mkdir(path.join(home, "src", "empty"), { recursive: true });
    await fs.writeFile(path.join(home, "src", "main.ts"), "console.log('hi')\n");
    await fs.writeFile(path.join(home, "run.sh"), "#!/bin/sh\necho run\n", { mode: 0o750 });
    await fs.symlink("src/main.ts", path.join(home, "link"));
    await fs.mkdir(path.join(home, "node_modules", "dep"), { recursive: true });
    await fs.writeFile(path.join(home, "node_modules", "dep", "index.js"), "x");

    await runRestic(resticRun("team-k8s", ["init"]), "init");
    const lines: string[] = [];
    const backup = await runtime.runOnHome(source, {
      ...resticRun("team-k8s", ["backup", "--json", "--exclude", "node_modules", WORKSPACE_HOME]),
      access: "read",
      onStdoutLine: (line) => lines.push(line),
    });
    expect(backup.exitCode, backup.stderr).toBe(0);
    const summary = lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { message_type: string; snapshot_id?: string })
      .find((line) => line.message_type === "summary");
    expect(summary?.snapshot_id).toMatch(/^[0-9a-f]{8,64}$/);
    expect(await leftovers()).toEqual([]);

    const restore = await runtime.runOnHome(target, {
      ...resticRun("team-k8s", ["restore", summary!.snapshot_id!, "--target", "/"]),
      access: "write",
      onStdoutLine: () => {},
    });
    expect(restore.exitCode, restore.stderr).toBe(0);
    const restored = await homeDirOf(target);
    expect(await fs.readFile(path.join(restored, "src", "main.ts"), "utf8")).toBe("console.log('hi')\n");
    expect((await fs.stat(path.join(restored, "run.sh"))).mode & 0o777).toBe(0o750);
    expect(await fs.readlink(path.join(restored, "link"))).toBe("src/main.ts");
    expect((await fs.stat(path.join(restored, "src", "empty"))).isDirectory()).toBe(true);
    await expect(fs.access(path.join(restored, "node_modules"))).rejects.toThrow();
    // Handed to the workspace's user, as its pod runs.
    expect((await fs.lstat(path.join(restored, "src", "main.ts"))).uid).toBe(1000);
    expect((await fs.lstat(path.join(restored, "link"))).uid).toBe(1000);
    expect(await leftovers()).toEqual([]);
  });

  it("can't write to the home when it only reads it (a backup)", SLOW, async () => {
    const probe = await runtime.runOnHome(target, shell(`touch ${WORKSPACE_HOME}/planted`, "read"));
    expect(probe.exitCode).not.toBe(0);
    expect(probe.stderr).toMatch(/Read-only file system/);
    await expect(fs.access(path.join(await homeDirOf(target), "planted"))).rejects.toThrow();
  });

  it("returns a failing command's exit code and what it said, and leaves nothing behind", SLOW, async () => {
    const lines: string[] = [];
    const result = await runtime.runOnHome(target, shell(`echo '{"message_type":"status"}'; echo "no such snapshot" >&2; exit 3`, "read", lines));
    expect(result).toEqual({ exitCode: 3, stderr: "no such snapshot" });
    expect(lines).toContain('{"message_type":"status"}');
    expect(await leftovers()).toEqual([]);
  });

  it("stops the pod when aborted", SLOW, async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const run = runtime.runOnHome(target, { ...shell("echo started; sleep 600", "read", lines), signal: controller.signal });
    const deadline = Date.now() + 60_000;
    while (!lines.includes("started") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect((await run).exitCode).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it("deletes what a run that Podspace never finished left behind, at the workspace's next run", SLOW, async () => {
    // As if Podspace had stopped while the pod ran: its Secret and pod stay, and it ends.
    const core = kc.makeApiClient(CoreV1Api);
    const orphan = homeToolObjects(target, shell("true", "read"), { namespacePrefix: "podspace-", image: "restic/restic:0.14.0", files: [], scratchDirs: [] });
    await core.createNamespacedSecret({ namespace: NAMESPACE, body: orphan.secret });
    await core.createNamespacedPod({ namespace: NAMESPACE, body: orphan.pod });
    const deadline = Date.now() + 60_000;
    while ((await core.readNamespacedPod({ namespace: NAMESPACE, name: orphan.pod.metadata!.name! })).status?.phase !== "Succeeded") {
      if (Date.now() > deadline) throw new Error("the orphaned pod did not end");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await leftovers()).toHaveLength(2);

    expect((await runtime.runOnHome(target, shell("true", "read"))).exitCode).toBe(0);
    expect(await leftovers()).toEqual([]);
  });

  it("runs beside workspaces that use their team's whole compute quota, and takes none of it from their starts", SLOW, async () => {
    const team = "tight";
    // Exactly what one workspace asks for (contractSpec's 500m and 512Mi).
    await runtime.prepareTeam({ slug: team, limits: { cpuMillicores: 500, memoryMiB: 512, storageGiB: null, workspaces: null, runningWorkspaces: 1 } });
    const running = contractSpec("tightrun", { teamSlug: team });
    const next = contractSpec("tightnext", { teamSlug: team });
    await runtime.provision(running);
    await runtime.provision(next);
    await runtime.start(running);
    await waitForState(runtime, running, "running");

    // A scheduled backup of a running workspace, while the team's quota is used up.
    const backup = await runtime.runOnHome(running, shell("true", "read"));
    expect(backup.exitCode, backup.stderr).toBe(0);

    // The backup after a stop: the next workspace starts while it runs.
    await runtime.stop(running);
    const core = kc.makeApiClient(CoreV1Api);
    const deadline = Date.now() + 60_000;
    while ((await core.listNamespacedPod({ namespace: `podspace-${team}`, labelSelector: `podspace.dev/workspace=${running.id}` })).items.length > 0) {
      if (Date.now() > deadline) throw new Error("the stopped workspace's pod did not go");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const lines: string[] = [];
    let ended = false;
    const afterStop = runtime.runOnHome(running, shell("echo started; sleep 3", "read", lines)).finally(() => (ended = true));
    while (!lines.includes("started") && !ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (ended) await afterStop; // refused: its error says why
    expect(lines).toContain("started");
    await runtime.start(next);
    expect((await afterStop).exitCode).toBe(0);
    await Promise.all([running, next].map((spec) => runtime.destroy(spec)));
  });

  it("refuses a repository in a folder on Podspace's host, and a workspace without a home", async () => {
    const folder: BackupStore = { kind: "folder", dir: "/var/lib/podspace/backups" };
    const run = { ...restic(folder, "team-k8s", ["snapshots"]), access: "read" as const, onStdoutLine: () => {} };
    await expect(runtime.runOnHome(target, run)).rejects.toThrow(expect.objectContaining({ code: "invalid", message: expect.stringMatching(/S3/) }));
    const missing = contractSpec("hometoolnone", { teamSlug: TEAM });
    await expect(runtime.runOnHome(missing, shell("true", "read"))).rejects.toThrow(RuntimeError);
    await expect(runtime.runOnHome(missing, shell("true", "read"))).rejects.toThrow(expect.objectContaining({ code: "not-found" }));
  });
});

describe("a home tool pod", () => {
  const run = { command: ["restic", "backup", WORKSPACE_HOME], env: { RESTIC_PASSWORD: "team key", AWS_SECRET_ACCESS_KEY: "s3 secret" }, access: "read" as const };
  const objects = homeToolObjects(source, run, {
    namespacePrefix: "podspace-",
    image: "restic/restic:0.14.0",
    files: [{ path: "/etc/podspace/ca.pem", content: Buffer.from("CA") }],
    scratchDirs: ["/data/backup-cache/team"],
    nodeName: "node-1",
  });
  const spec = objects.pod.spec!;
  const container = spec.containers[0]!;

  it("has its secrets by reference only, and no service account token", () => {
    expect(JSON.stringify(objects.pod)).not.toMatch(/team key|s3 secret/);
    expect(container.env?.every((entry) => entry.value === undefined && entry.valueFrom?.secretKeyRef?.name === objects.secret.metadata!.name)).toBe(true);
    expect(Buffer.from(objects.secret.data!.RESTIC_PASSWORD!, "base64").toString()).toBe("team key");
    expect(spec.automountServiceAccountToken).toBe(false);
  });

  it("mounts the home read-only for a backup, the files from the Secret and the writable paths as scratch, on the workspace's node", () => {
    expect(container.volumeMounts).toEqual([
      { name: "home", mountPath: WORKSPACE_HOME, readOnly: true },
      { name: "files", mountPath: "/etc/podspace/ca.pem", subPath: "file-0", readOnly: true },
      { name: "scratch-0", mountPath: "/data/backup-cache/team" },
    ]);
    expect(spec.volumes?.find((volume) => volume.name === "scratch-0")?.emptyDir).toEqual({});
    expect(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: "metadata.name", operator: "In", values: ["node-1"] }] },
    ]);
    expect(spec.restartPolicy).toBe("Never");
  });
});
