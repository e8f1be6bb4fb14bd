import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../test/helpers/net";
import { TEST_SHARED_PATHS } from "../test/runtime/contract";

// Boots the real server.ts (production mode, on the build from `next build`)
// on a free port with a fresh data dir, exactly as `npm start` would.

export interface PodspaceProcess {
  url: string;
  port: number;
  dataDir: string;
  output(): string;
  /** The pid of server.ts's Node process; for reading its memory. */
  serverPid(): number;
  /** Sends `signal` and resolves with the exit code and how long exiting took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

interface StartOptions {
  env?: Record<string, string>;
  dataDir?: string;
}

const ROOT = path.resolve(import.meta.dirname, "..");

/** `npm start`'s command (scripts/start.sh: production mode, the heap's ceiling), which execs the server: the child is server.ts's Node process. */
function spawnServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(path.join(ROOT, "scripts/start.sh"), [], {
    cwd: ROOT,
    env: {
      ...process.env,
      AUTH_SECRET: "e2e-secret-that-is-long-enough-for-auth-js",
      // Production refuses the demo IdP unless it is asked for explicitly.
      PODSPACE_DEMO_IDP: "true",
      // The test IDEs (this Node.js, the fixtures) inside local workspaces' sandboxes.
      PODSPACE_LOCAL_SHARED_PATHS: TEST_SHARED_PATHS.join(":"),
      ...env,
    },
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Where a server the tests start is, by default: the default PODSPACE_URL on its port. */
export const podspaceUrl = (port: number) => `http://podspace.localhost:${port}`;

export async function startPodspace(options: StartOptions = {}): Promise<PodspaceProcess> {
  // A test that must know the port before the server starts (to register an
  // OIDC redirect URI) passes PORT in env.
  const port = options.env?.PORT ? Number(options.env.PORT) : await freePort();
  const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "podspace-e2e-")));
  const { child, output } = spawnServer({ PORT: String(port), PODSPACE_DATA_DIR: dataDir, ...options.env });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not become ready in 60 s:\n${output()}`)), 60_000);
    const onData = () => {
      if (output().includes("podspace: ready on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${output()}`));
    });
  });

  return {
    // This server itself under the default PODSPACE_URL's name, not 127.0.0.1:
    // OIDC callback URLs must match it (a test that sets PODSPACE_URL to a
    // proxy in front still reaches this one server here).
    url: podspaceUrl(port),
    port,
    dataDir,
    output,
    serverPid() {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error("the server process has exited");
      return child.pid!;
    },
    async stop(signal = "SIGTERM") {
      const startedAt = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      // Gone for good, so its port refuses connections from now on.
      if (signal === "SIGKILL") while (await accepts(port)) await new Promise((resolve) => setTimeout(resolve, 20));
      return { code, ms: Date.now() - startedAt };
    },
  };
}

/** Whether something still accepts connections on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Runs the server where it is expected to refuse to start; returns its exit code and output. */
export async function startPodspaceExpectingFailure(env: Record<string, string>) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-e2e-"));
  const { child, output } = spawnServer({ PODSPACE_DATA_DIR: dataDir, ...env });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, output: output() };
}
