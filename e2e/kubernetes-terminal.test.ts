import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../test/helpers/kube/control-plane";
import { startNodeAgent, TEST_STORAGE_CLASS, type NodeAgent } from "../test/helpers/kube/node-agent";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { launchBrowser } from "./browser";
import { startPodspace, type PodspaceProcess } from "./harness";
import { DEMO, signIn } from "./sign-in";
import { expectCommandAndScrollbackInPanel, expectCommandAndScrollbackOverSocket, seedRunningWorkspace, seedTemplate } from "./workspace-terminal";

// The workspace terminal of workspace-page.test.ts, on the Kubernetes runtime:
// the production server (PODSPACE_RUNTIME=kubernetes, KUBECONFIG) and Chromium
// against a real kube-apiserver, with the test node agent as the kubelet. The
// shell is an exec through the apiserver into the pod: browser → Podspace →
// apiserver → node agent → bash. Needs root and the control-plane binaries
// (see test/helpers/kube/control-plane.ts).

const TEST_IDE = path.resolve(import.meta.dirname, "../test/fixtures/ide-ws-server.mjs");

const SPEC = {
  slug: "e2e-kube-tools",
  name: "E2E tools on Kubernetes",
  description: "The terminal, in a pod.",
  image: "podspace/test-ide:1",
  resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  parameters: [],
  startupScript: "",
  ide: { command: [process.execPath, TEST_IDE, "{host}", "{port}"], healthPath: "/healthz" },
};

describe("the workspace page's terminal on Kubernetes", () => {
  let controlPlane: ControlPlane;
  let agent: NodeAgent;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let podspace: PodspaceProcess;
  let browser: BrowserContext;
  let page: Page;
  const workspaceId = `e2e${randomBytes(6).toString("hex")}`;

  beforeAll(async () => {
    [controlPlane, database, browser] = await Promise.all([startControlPlane(), createTestDatabase(inject("postgresAdminUrl")), launchBrowser()]);
    agent = await startNodeAgent({ kubeConfig: controlPlane.kubeConfig() });
    podspace = await startPodspace({
      env: {
        DATABASE_URL: database.url,
        PODSPACE_RUNTIME: "kubernetes",
        KUBECONFIG: controlPlane.kubeconfigPath,
        PODSPACE_K8S_STORAGE_CLASS: TEST_STORAGE_CLASS,
        // On Kubernetes backups need an S3 bucket, which this test of the terminal does without.
        PODSPACE_BACKUPS: "off",
      },
    });
    const templateVersionId = await seedTemplate(database.url, SPEC);
    page = await browser.newPage();
    await signIn(page, podspace.url, { provider: DEMO, account: /Dana Developer/ });
    // Namespace, quota, volume, scheduling, pod start and readiness: slower than a local process.
    await seedRunningWorkspace(database.url, podspace, { id: workspaceId, templateVersionId, timeoutMs: 150_000 });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    // Stopping Podspace leaves the pod running (as in production); the node agent's stop ends it.
    await podspace?.stop();
    await agent?.stop();
    await controlPlane?.stop();
    await database?.drop();
  }, 120_000);

  /** Exec requests the apiserver forwarded to the node for the workspace's pod: each is a shell opened through Kubernetes. */
  const execsIntoPod = () => {
    // The node agent writes its log on the first request the apiserver forwards.
    const log = path.join(agent.dir, "kubelet-requests.log");
    if (!fs.existsSync(log)) return 0;
    return fs
      .readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line.includes(`/exec/podspace-demo/ws-${workspaceId}/`)).length;
  };

  it("runs a command in the terminal, and a reloaded page gets the scrollback back", async () => {
    const before = execsIntoPod();
    await expectCommandAndScrollbackOverSocket(page, podspace, workspaceId, "e2e-kube-tab");
    // The shells (this session's and the page's own panel's) are execs through the apiserver into the pod.
    expect(execsIntoPod()).toBeGreaterThan(before);
  });

  it("uses the terminal panel on the workspace page", async () => {
    await expectCommandAndScrollbackInPanel(page, podspace, workspaceId);
  });
});
