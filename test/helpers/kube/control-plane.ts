// A real Kubernetes control plane for tests: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler (v1.20.2), each a child process
// on free loopback ports, with its state and logs in a temp dir.
//
// The binaries are built once by scripts/kube/build-control-plane.sh into
// ~/.cache/podspace/kubernetes-v1.20.2/bin (PODSPACE_CACHE_DIR overrides the
// cache root). There is no node and no kubelet: pods are created, scheduled
// (or left Pending) and quota-checked, but never run.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

export const KUBE_VERSION = "v1.20.2";

export interface ControlPlane {
  /** https://127.0.0.1:PORT, serving a self-signed certificate. */
  server: string;
  /** Bearer token of an admin user in group system:masters. */
  token: string;
  /** A kubeconfig file for `server` with `token` (TLS verification off). */
  kubeconfigPath: string;
  /** The temp dir holding etcd's data, keys, kubeconfigs and the processes' *.log files. */
  dir: string;
  /** A fresh @kubernetes/client-node KubeConfig for the admin user. */
  kubeConfig(): KubeConfig;
  /**
   * Resolves once `namespace` has its `default` ServiceAccount with a token
   * Secret: until then the ServiceAccount admission plugin refuses pods there.
   */
  waitForDefaultServiceAccount(namespace: string, timeoutMs?: number): Promise<void>;
  /** Kills kube-apiserver only and starts it again on the same port; resolves once /readyz is ok. */
  restartApiServer(): Promise<void>;
  /** Stops every process and removes the temp dir (kept when PODSPACE_KEEP_KUBE_DIR is set). */
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** How long to wait for the whole control plane to come up. Default 90 s. */
  startTimeoutMs?: number;
  /** More kube-apiserver flags, e.g. an audit policy and log. */
  extraApiServerArgs?: string[];
}

const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;
type Component = (typeof COMPONENTS)[number];

/** Where build-control-plane.sh puts the binaries. */
export function controlPlaneBinDir(): string {
  const cacheRoot = process.env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace");
  return path.join(cacheRoot, `kubernetes-${KUBE_VERSION}`, "bin");
}

/** Throws, naming the build script, when any binary is missing: tests must not skip silently. */
export function requireControlPlaneBinaries(): Record<Component, string> {
  const dir = controlPlaneBinDir();
  const paths = Object.fromEntries(COMPONENTS.map((name) => [name, path.join(dir, name)])) as Record<
    Component,
    string
  >;
  const missing = COMPONENTS.filter((name) => {
    try {
      fs.accessSync(paths[name], fs.constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `Kubernetes control-plane binaries missing from ${dir}: ${missing.join(", ")}. ` +
        `Build them once (as root, ~6 minutes) with: bash scripts/kube/build-control-plane.sh`,
    );
  }
  return paths;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bin = requireControlPlaneBinaries();
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-kube-"));
  const supervisor = new Supervisor(dir);
  try {
    return await boot(bin, dir, supervisor, deadline, options.extraApiServerArgs ?? []);
  } catch (error) {
    await supervisor.stopAll();
    if (process.env.PODSPACE_KEEP_KUBE_DIR) {
      if (error instanceof Error) error.message += `\n(all logs kept in ${dir})`;
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
      if (error instanceof Error) error.message += `\n(set PODSPACE_KEEP_KUBE_DIR=1 to keep all logs)`;
    }
    throw error;
  }
}

async function boot(
  bin: Record<Component, string>,
  dir: string,
  supervisor: Supervisor,
  deadline: number,
  extraApiServerArgs: string[],
): Promise<ControlPlane> {
  // All ports are held open together so that no two of them coincide.
  const [etcdClientPort, etcdPeerPort, apiPort] = await freePorts(3);
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const server = `https://127.0.0.1:${apiPort}`;

  // --- credentials ---
  const token = crypto.randomBytes(24).toString("hex");
  const tokenFile = path.join(dir, "tokens.csv");
  // token,user,uid,"groups": system:masters is bound to cluster-admin and skips RBAC.
  fs.writeFileSync(tokenFile, `${token},podspace-admin,podspace-admin,"system:masters"\n`, { mode: 0o600 });
  // Service-account tokens are signed with this key (controller-manager's
  // tokens controller) and verified with its public half (apiserver). v1.20
  // requires --service-account-signing-key-file and --service-account-issuer.
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const saKey = path.join(dir, "sa.key");
  const saPub = path.join(dir, "sa.pub");
  fs.writeFileSync(saKey, privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  fs.writeFileSync(saPub, publicKey.export({ type: "spki", format: "pem" }));
  const kubeconfigPath = path.join(dir, "admin.kubeconfig");
  fs.writeFileSync(kubeconfigPath, kubeconfigYaml(server, token), { mode: 0o600 });

  // --- etcd ---
  const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  supervisor.start("etcd", bin.etcd, [
    `--name=default`,
    `--data-dir=${path.join(dir, "etcd")}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${etcdPeerUrl}`,
    `--initial-advertise-peer-urls=${etcdPeerUrl}`,
    `--initial-cluster=default=${etcdPeerUrl}`,
    // Test data is thrown away: skip fsync, which dominates etcd latency on CI disks.
    `--unsafe-no-fsync`,
    `--logger=zap`,
    `--log-level=warn`,
  ]);
  await waitFor("etcd", supervisor, deadline, async () => {
    const body = await httpGet(`${etcdUrl}/health`);
    return body.status === 200 && /"health":\s*"true"/.test(body.text);
  });

  // --- kube-apiserver ---
  const apiserverArgs = [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=127.0.0.1`,
    `--advertise-address=127.0.0.1`,
    `--secure-port=${apiPort}`,
    // No --tls-cert-file: the apiserver generates a self-signed pair here.
    `--cert-dir=${path.join(dir, "apiserver-certs")}`,
    `--token-auth-file=${tokenFile}`,
    `--authorization-mode=Node,RBAC`,
    `--service-account-key-file=${saPub}`,
    `--service-account-signing-key-file=${saKey}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota`,
    `--service-cluster-ip-range=10.96.0.0/16`,
    `--allow-privileged=true`,
    // The `kubernetes` Service's endpoints can't be a loopback address (the
    // reconciler only logs validation errors about it), and on SIGTERM that
    // reconciler spends 20 s failing to remove them through the listener it
    // has just closed. Turning it off makes restartApiServer() take seconds.
    `--endpoint-reconciler-type=none`,
    ...extraApiServerArgs,
    // No --kubelet-certificate-authority: without a CA the apiserver's kubelet
    // client skips verification, so a kubelet with a self-signed cert works
    // for exec/attach/port-forward/logs.
  ];
  const startApiServer = () => supervisor.start("kube-apiserver", bin["kube-apiserver"], apiserverArgs);
  const apiserverReady = (until: number) =>
    waitFor("kube-apiserver", supervisor, until, async () => {
      const res = await httpsGet(`${server}/readyz`, token);
      return res.status === 200 && res.text.trim() === "ok";
    });
  startApiServer();
  await apiserverReady(deadline);

  // --- kube-controller-manager and kube-scheduler ---
  // Both talk to the apiserver as the admin. Their own serving ports are off
  // (--port=0, --secure-port=0): nothing scrapes them, and the fixed defaults
  // (10252/10257, 10251/10259) would collide between parallel test files.
  supervisor.start("kube-controller-manager", bin["kube-controller-manager"], [
    `--kubeconfig=${kubeconfigPath}`,
    `--leader-elect=false`,
    `--port=0`,
    `--secure-port=0`,
    // Runs the serviceaccount controller (creates each namespace's `default`
    // ServiceAccount, which the ServiceAccount admission plugin insists on
    // before admitting a pod) and the resourcequota controller (fills in
    // status.hard/used; quota admission only enforces a populated status).
    // The cloud-only controllers are dropped; they would just log that no
    // cloud provider is configured.
    `--controllers=*,-cloud-node-lifecycle,-route,-service`,
    // The tokens controller signs the `default` SA's token Secret with this.
    `--service-account-private-key-file=${saKey}`,
    // The apiserver's generated cert goes into SA token secrets' ca.crt and
    // the kube-root-ca.crt ConfigMaps (RootCAConfigMap is on in 1.20).
    `--root-ca-file=${path.join(dir, "apiserver-certs", "apiserver.crt")}`,
    `--use-service-account-credentials=false`,
  ]);
  supervisor.start("kube-scheduler", bin["kube-scheduler"], [
    `--kubeconfig=${kubeconfigPath}`,
    `--leader-elect=false`,
    `--port=0`,
    `--secure-port=0`,
  ]);
  // The serviceaccount and tokens controllers having done their work for
  // `default` shows the controller-manager is up and talking to the apiserver.
  const defaultServiceAccountReady = (namespace: string, until: number) =>
    waitFor("kube-controller-manager", supervisor, until, async () => {
      const res = await httpsGet(
        `${server}/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/default`,
        token,
      );
      // v1.20 (no BoundServiceAccountTokenVolume) mounts the SA's token
      // Secret into pods, so admission also waits for that Secret.
      if (res.status !== 200) return false;
      const serviceAccount = JSON.parse(res.text) as { secrets?: unknown[] };
      return (serviceAccount.secrets?.length ?? 0) > 0;
    });
  await defaultServiceAccountReady("default", deadline);

  return {
    server,
    token,
    kubeconfigPath,
    dir,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    },
    waitForDefaultServiceAccount(namespace, timeoutMs = 30_000) {
      return defaultServiceAccountReady(namespace, Date.now() + timeoutMs);
    },
    async restartApiServer() {
      // SIGTERM makes the apiserver fail /readyz and stop listening at once,
      // but it then waits up to --request-timeout (60 s) for open HTTP/2
      // connections, e.g. the controllers' watches, to go idle. Tests gain
      // nothing from that wait, so it's cut short with SIGKILL; etcd keeps
      // all state either way.
      await supervisor.stop("kube-apiserver", 2_000);
      startApiServer();
      await apiserverReady(Date.now() + 60_000);
    },
    async stop() {
      await supervisor.stopAll();
      if (!process.env.PODSPACE_KEEP_KUBE_DIR) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function kubeconfigYaml(server: string, token: string): string {
  // JSON is valid YAML, and needs no escaping care.
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "podspace-test", cluster: { server, "insecure-skip-tls-verify": true } }],
      users: [{ name: "podspace-admin", user: { token } }],
      contexts: [{ name: "podspace-test", context: { cluster: "podspace-test", user: "podspace-admin" } }],
      "current-context": "podspace-test",
    },
    null,
    2,
  );
}

/**
 * Starts, tracks and stops the child processes. A watchdog shell outlives us
 * only long enough to kill them if this process dies without running its exit
 * handlers (a SIGKILLed test worker), so no etcd/apiserver is ever orphaned.
 */
class Supervisor {
  private readonly children = new Map<Component, ChildProcess>();
  private readonly pidFile: string;
  private readonly watchdog: ChildProcess;
  private readonly onExit = () => this.killAllSync();

  constructor(private readonly dir: string) {
    this.pidFile = path.join(dir, "pids");
    fs.writeFileSync(this.pidFile, "");
    const script =
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
      `kill -9 $(cat "$1" 2>/dev/null) 2>/dev/null; ` +
      `[ -n "$PODSPACE_KEEP_KUBE_DIR" ] || rm -rf "$2"`;
    this.watchdog = spawn("sh", ["-c", script, "watchdog", this.pidFile, dir], {
      stdio: "ignore",
      detached: true, // its own process group: a Ctrl-C aimed at us must not kill it before it cleans up
    });
    this.watchdog.unref();
    process.once("exit", this.onExit);
  }

  logPath(name: Component): string {
    return path.join(this.dir, `${name}.log`);
  }

  start(name: Component, binary: string, args: string[]): ChildProcess {
    const log = fs.openSync(this.logPath(name), "a");
    fs.writeSync(log, `\n=== ${new Date().toISOString()} ${binary} ${args.join(" ")}\n`);
    const child = spawn(binary, args, { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    // Don't keep the test process alive for these; stop() or the exit hook ends them.
    child.unref();
    child.on("error", () => {}); // surfaced through exitCode / the log by waitFor
    this.children.set(name, child);
    this.writePids();
    return child;
  }

  /** The process, or a description of how it ended. */
  exited(name: Component): string | undefined {
    const child = this.children.get(name);
    if (!child) return "was never started";
    if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
    if (child.signalCode !== null) return `was killed by ${child.signalCode}`;
    return undefined;
  }

  tail(name: Component, lines = 40): string {
    try {
      return fs.readFileSync(this.logPath(name), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  async stop(name: Component, graceMs = 5_000): Promise<void> {
    const child = this.children.get(name);
    this.children.delete(name);
    this.writePids();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Stops dependants before what they depend on, so their logs stay quiet. */
  async stopAll(): Promise<void> {
    for (const name of [...COMPONENTS].reverse()) await this.stop(name);
    process.removeListener("exit", this.onExit);
    this.killWatchdog();
  }

  private killAllSync(): void {
    for (const child of this.children.values()) child.kill("SIGKILL");
    this.children.clear();
    this.killWatchdog();
    if (!process.env.PODSPACE_KEEP_KUBE_DIR) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private killWatchdog(): void {
    if (this.watchdog.exitCode === null && this.watchdog.pid) {
      try {
        process.kill(-this.watchdog.pid, "SIGKILL"); // the shell and its `sleep`
      } catch {
        // already gone
      }
    }
  }

  private writePids(): void {
    const pids = [...this.children.values()].map((child) => child.pid).filter(Boolean);
    try {
      fs.writeFileSync(this.pidFile, pids.join(" "));
    } catch {
      // the dir is being removed
    }
  }
}

/**
 * Polls `check` until it returns true. Fails at once, with the tail of the
 * component's log, if the process exits; otherwise fails at the deadline.
 */
async function waitFor(
  name: Component,
  supervisor: Supervisor,
  deadline: number,
  check: () => Promise<boolean>,
): Promise<void> {
  let lastError = "";
  for (;;) {
    const ended = supervisor.exited(name);
    if (ended) {
      throw new Error(`${name} ${ended} while starting; last lines of its log:\n${supervisor.tail(name)}`);
    }
    try {
      if (await check()) return;
      lastError = "";
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${name} not ready in time${lastError ? ` (last error: ${lastError})` : ""}; ` +
          `last lines of its log:\n${supervisor.tail(name)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Response {
  status: number;
  text: string;
}

function collect(res: http.IncomingMessage, resolve: (r: Response) => void, reject: (e: Error) => void) {
  let text = "";
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => (text += chunk));
  res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
  res.on("error", reject);
}

function httpGet(url: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5_000 }, (res) => collect(res, resolve, reject));
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

function httpsGet(url: string, token: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      // The serving cert is self-signed; the admin token is sent, so this is a test-only shortcut.
      { timeout: 5_000, rejectUnauthorized: false, headers: { Authorization: `Bearer ${token}` } },
      (res) => collect(res, resolve, reject),
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

/** `count` distinct free loopback ports, held open together so none repeats. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const srv = net.createServer();
          srv.once("error", reject);
          srv.listen(0, "127.0.0.1", () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as net.AddressInfo).port);
  await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}
