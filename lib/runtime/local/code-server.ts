import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { RuntimeError } from "../types";
import { buildToolsHint, missingBuildTools } from "./prerequisites";
import { isAlive } from "./process-group";

// code-server is ~600 MB with native modules and takes minutes to install, so
// the local runtime installs it on first use into the cache dir, together with
// the Node 24 it runs on, and reuses it afterwards. A plain `npm install` of
// Podspace never pulls it in.
//
// Its VS Code half declares the `kerberos` module (Kerberos proxy sign-in,
// loaded only when a proxy asks for it), whose build needs Debian's
// libkrb5-dev: a prerequisite nobody expects. The install makes it optional,
// so it is built where the headers exist and skipped where they don't, and
// code-server needs only what Podspace's own node-pty needs: a C++ toolchain.

export const CODE_SERVER_VERSION = "4.139.1";
const NODE_VERSION = "24";
/** Lines of a failed tool's output kept in the failure message: enough to see why, short enough to read. */
const OUTPUT_TAIL_LINES = 25;

const installs = new Map<string, Promise<void>>();

const installDir = (cacheDir: string) => path.join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);

/** The launcher of the cached install: a script that runs code-server on its Node; it exists once the install is complete. */
export const codeServerLauncher = (cacheDir: string) => path.join(installDir(cacheDir), "bin", "code-server");

/** The launcher dir of the cached install, once there is one. */
export function installedCodeServerBin(cacheDir: string): string | null {
  const launcher = codeServerLauncher(cacheDir);
  return existsSync(launcher) ? path.dirname(launcher) : null;
}

/**
 * Resolves the cached install, installing it first when missing. Concurrent
 * callers share one install; `onProgress` hears about it only when this call
 * actually waits for one. A failed install rejects every waiter with the
 * reason, and the next call tries afresh.
 */
export function ensureCodeServer(cacheDir: string, onProgress: (message: string) => void): Promise<void> {
  const dir = installDir(cacheDir);
  let install = installs.get(dir);
  if (!install) {
    install = locate(dir).then((found) => (found ? undefined : installInto(dir, onProgress)));
    installs.set(dir, install);
    install.catch(() => installs.delete(dir));
  } else {
    onProgress("Waiting for the code-server install another workspace started");
  }
  return install;
}

/** Whether `dir` holds a complete install; (re)writes its launcher when it does. */
async function locate(dir: string): Promise<boolean> {
  const node = path.join(dir, "node_modules", "node", "bin", "node");
  const entry = path.join(dir, "node_modules", "code-server", "out", "node", "entry.js");
  try {
    await Promise.all([fs.access(node), fs.access(entry)]);
  } catch {
    return false;
  }
  // A launcher for workspace PATHs: templates that install code-server when
  // `command -v code-server` fails find this one instead of downloading
  // their own into every home. Its paths are relative to itself: workspaces
  // see the cache at another path than Podspace does.
  const binDir = path.join(dir, "bin");
  await fs.mkdir(binDir, { recursive: true });
  const launcher = `#!/bin/sh\ninstall=$(dirname "$0")/..\nexec "$install/${path.relative(dir, node)}" "$install/${path.relative(dir, entry)}" "$@"\n`;
  await fs.writeFile(path.join(binDir, "code-server"), launcher, { mode: 0o755 });
  return true;
}

async function installInto(dir: string, onProgress: (message: string) => void): Promise<void> {
  const missing = missingBuildTools();
  if (missing.length > 0) {
    throw new RuntimeError("unavailable", `code-server can't be installed: ${buildToolsHint(missing)}`);
  }
  // Install beside the final dir and rename when complete, so a crash
  // mid-install never leaves a half-installed code-server that looks usable.
  const staging = `${dir}${STAGING_SUFFIX}${process.pid}`;
  await removeAbandonedStaging(dir);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  await fs.writeFile(path.join(staging, "package.json"), JSON.stringify({ private: true }));
  const packageDir = path.join(staging, "node_modules", "code-server");

  const startedAt = Date.now();
  try {
    // Node first: code-server's install script checks the version of the
    // `node` it finds, and npm puts this prefix's node_modules/.bin first.
    onProgress(`Installing Node.js ${NODE_VERSION} for code-server (first use only)`);
    await runInstallStep("npm", ["install", ...NPM_FLAGS, `node@${NODE_VERSION}`], { cwd: staging, step: `installing Node.js ${NODE_VERSION}` });
    // Without its install script, which would build every native module at once.
    onProgress(`Downloading code-server ${CODE_SERVER_VERSION} (first use only)`);
    await runInstallStep("npm", ["install", ...NPM_FLAGS, "--ignore-scripts", `code-server@${CODE_SERVER_VERSION}`], {
      cwd: staging,
      step: `downloading code-server ${CODE_SERVER_VERSION}`,
    });
    await makeKerberosOptional(path.join(packageDir, "lib", "vscode"));
    onProgress("Building code-server's native modules (first use only; a few minutes)");
    await runInstallStep("sh", ["./postinstall.sh"], { cwd: packageDir, step: "building code-server's native modules", nodeBin: path.join(staging, "node_modules", ".bin") });
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
  await fs.rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
    // Another Podspace process finished first: use its install.
    if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    await fs.rm(staging, { recursive: true, force: true });
  });
  onProgress(`Installed code-server in ${Math.round((Date.now() - startedAt) / 1000)} s`);
  if (!(await locate(dir))) throw new RuntimeError("unavailable", `code-server was installed into ${dir} but its entry point is missing`);
}

const NPM_FLAGS = ["--no-audit", "--no-fund", "--omit=dev", "--loglevel=error"];

const STAGING_SUFFIX = ".partial-";

/**
 * Deletes the staging dirs of installs whose Podspace process is gone (it
 * was stopped or crashed mid-install): each is hundreds of megabytes that
 * nothing would ever use or remove. A live process's is left alone, as
 * is this one's (the caller clears it).
 */
export async function removeAbandonedStaging(dir: string): Promise<void> {
  const prefix = `${path.basename(dir)}${STAGING_SUFFIX}`;
  const names = await fs.readdir(path.dirname(dir)).catch(() => []);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await fs.rm(path.join(path.dirname(dir), name), { recursive: true, force: true });
  }
}

/**
 * The process groups of the install steps under way. A step can't finish
 * without this process (which renames the staging dir when all are done), so
 * they end with it, however it exits: a step left running would go on
 * building for minutes into a dir nobody uses.
 */
const runningSteps = new Set<number>();
let endStepsOnExit = false;

function endRunningSteps() {
  for (const pid of runningSteps) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/**
 * Moves `kerberos` from VS Code's dependencies to its optional ones, in
 * package.json and in the shrinkwrap npm installs from, so a failed build of
 * it is skipped instead of failing the install.
 */
async function makeKerberosOptional(vscodeDir: string): Promise<void> {
  const edit = async (file: string, change: (json: PackageJsonLike & { packages?: Record<string, PackageJsonLike> }) => void) => {
    const json = JSON.parse(await fs.readFile(file, "utf8"));
    change(json);
    await fs.writeFile(file, JSON.stringify(json, null, 2));
  };
  const moveToOptional = (manifest: PackageJsonLike) => {
    const version = manifest.dependencies?.kerberos;
    if (!version) return;
    delete manifest.dependencies!.kerberos;
    manifest.optionalDependencies = { ...manifest.optionalDependencies, kerberos: version };
  };
  await edit(path.join(vscodeDir, "package.json"), moveToOptional);
  await edit(path.join(vscodeDir, "npm-shrinkwrap.json"), (lock) => {
    const root = lock.packages?.[""];
    const kerberos = lock.packages?.["node_modules/kerberos"];
    if (root) moveToOptional(root);
    if (kerberos) kerberos.optional = true;
  });
}

interface PackageJsonLike {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  optional?: boolean;
}

/**
 * Runs one install step; rejects with what failed and the tail of the tool's
 * output, so the workspace page shows why instead of just that it failed.
 */
export function runInstallStep(command: string, args: string[], options: { cwd: string; step: string; nodeBin?: string }): Promise<void> {
  if (!endStepsOnExit) {
    process.once("exit", endRunningSteps);
    endStepsOnExit = true;
  }
  return new Promise((resolve, reject) => {
    // Its own process group, so that ending it ends what it started (npm's scripts, compilers).
    const child = spawn(command, args, { cwd: options.cwd, env: installEnvironment(options.nodeBin), stdio: ["ignore", "pipe", "pipe"], detached: true });
    if (child.pid !== undefined) runningSteps.add(child.pid);
    child.once("exit", () => runningSteps.delete(child.pid!));
    let output = "";
    const keep = (chunk: Buffer) => (output = (output + chunk).slice(-16_000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (error) => reject(new RuntimeError("unavailable", `code-server's install failed ${options.step}: could not run ${command}: ${error.message}`)));
    child.once("exit", (code, signal) => {
      if (code === 0) return resolve();
      const tail = output.trim().split("\n").slice(-OUTPUT_TAIL_LINES).join("\n");
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new RuntimeError("unavailable", `code-server's install failed ${options.step}: ${command} ${how}.\n${tail}`));
    });
  });
}

/**
 * Podspace's environment for the install, minus what an outer npm (the one
 * running `npm run dev`) left behind, with npm_config_user_agent naming Node
 * 24: code-server's install script reads the Node version from it.
 * npm_config_* settings (nodedir, registry) carry over. The Node that will
 * run code-server goes first on PATH so native modules build for it.
 */
function installEnvironment(nodeBin?: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || (/^npm_config_/i.test(name) && name.toLowerCase() !== "npm_config_user_agent")),
  );
  const path_ = [nodeBin, path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(":");
  const nodedir = nodeHeadersDir();
  return {
    ...env,
    NODE_ENV: process.env.NODE_ENV,
    PATH: path_,
    npm_config_user_agent: `npm node/v${NODE_VERSION}.0.0 ${process.platform} ${process.arch}`,
    // node-gyp would otherwise download Node's headers from nodejs.org.
    ...(nodedir && { npm_config_nodedir: nodedir }),
  };
}

/**
 * Headers of the Node 24 Podspace runs on (same ABI as code-server's), which
 * the `node` package ships beside its binary; null when not found.
 */
function nodeHeadersDir(): string | null {
  const prefix = path.dirname(path.dirname(process.execPath));
  const candidates = [prefix, path.join(prefix, "node_modules", `node-${process.platform}-${process.arch}`)];
  return candidates.find((dir) => existsSync(path.join(dir, "include", "node", "common.gypi"))) ?? null;
}
