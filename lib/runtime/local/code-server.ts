import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { RuntimeError } from "../types";

// code-server is ~600 MB with native modules and takes minutes to install, so
// the local runtime installs it on first use into the cache dir, together with
// the Node 24 it runs on, and reuses it afterwards. A plain `npm install` of
// Podspace never pulls it in.

export const CODE_SERVER_VERSION = "4.139.1";
const NODE_VERSION = "24";

export interface CodeServerInstall {
  /** argv prefix that runs code-server: the cached Node and code-server's entry point. */
  command: string[];
}

const installs = new Map<string, Promise<CodeServerInstall>>();

/**
 * Resolves the cached install, installing it first when missing. Concurrent
 * callers share one install; `onProgress` hears about it only when this call
 * actually waits for one.
 */
const installDir = (cacheDir: string) => path.join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);

/** The launcher dir of the cached install, once there is one. */
export function installedCodeServerBin(cacheDir: string): string | null {
  const binDir = path.join(installDir(cacheDir), "bin");
  return existsSync(path.join(binDir, "code-server")) ? binDir : null;
}

export function ensureCodeServer(cacheDir: string, onProgress: (message: string) => void): Promise<CodeServerInstall> {
  const dir = installDir(cacheDir);
  let install = installs.get(dir);
  if (!install) {
    install = locate(dir).then((found) => found ?? installInto(dir, onProgress));
    installs.set(dir, install);
    install.catch(() => installs.delete(dir));
  } else {
    onProgress("Waiting for the code-server install another workspace started");
  }
  return install;
}

async function locate(dir: string): Promise<CodeServerInstall | null> {
  const node = path.join(dir, "node_modules", "node", "bin", "node");
  const entry = path.join(dir, "node_modules", "code-server", "out", "node", "entry.js");
  try {
    await Promise.all([fs.access(node), fs.access(entry)]);
  } catch {
    return null;
  }
  // A launcher for workspace PATHs: templates that install code-server when
  // `command -v code-server` fails find this one instead of downloading
  // their own into every home.
  const binDir = path.join(dir, "bin");
  await fs.mkdir(binDir, { recursive: true });
  await fs.writeFile(path.join(binDir, "code-server"), `#!/bin/sh\nexec '${node}' '${entry}' "$@"\n`, { mode: 0o755 });
  return { command: [node, entry] };
}

async function installInto(dir: string, onProgress: (message: string) => void): Promise<CodeServerInstall> {
  // Install beside the final dir and rename when complete, so a crash
  // mid-install never leaves a half-installed code-server that looks usable.
  const staging = `${dir}.partial-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  await fs.writeFile(path.join(staging, "package.json"), JSON.stringify({ private: true }));

  const startedAt = Date.now();
  onProgress(`Installing code-server ${CODE_SERVER_VERSION} (first use only; about 3 minutes)`);
  const ticker = setInterval(
    () => onProgress(`Still installing code-server (${Math.round((Date.now() - startedAt) / 1000)} s)`),
    15_000,
  );
  try {
    // Node first: code-server's install scripts check the version of the
    // `node` they find, and npm puts this prefix's node_modules/.bin first.
    await npmInstall(staging, [`node@${NODE_VERSION}`]);
    await npmInstall(staging, [`code-server@${CODE_SERVER_VERSION}`]);
  } finally {
    clearInterval(ticker);
  }
  await fs.rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
    // Another Podspace process finished first: use its install.
    if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    await fs.rm(staging, { recursive: true, force: true });
  });
  onProgress(`Installed code-server in ${Math.round((Date.now() - startedAt) / 1000)} s`);
  const found = await locate(dir);
  if (!found) throw new RuntimeError("unavailable", `code-server was installed into ${dir} but its entry point is missing`);
  return found;
}

function npmInstall(dir: string, packages: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = npmEnvironment();
    const child = spawn("npm", ["install", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error", ...packages], {
      cwd: dir,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk).slice(-4000)));
    child.once("error", (error) => reject(new RuntimeError("unavailable", `could not run npm to install code-server: ${error.message}`)));
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(
            new RuntimeError(
              "unavailable",
              `installing code-server failed (npm exited with ${code}); it needs build tools and Debian's libkrb5-dev:\n${stderr.trim()}`,
            ),
          ),
    );
  });
}

/**
 * Podspace's environment for npm, minus what an outer npm (the one running
 * `npm run dev`) left behind: code-server's install script reads the Node
 * version from npm_config_user_agent, which must describe this npm, not that
 * one. npm_config_* settings (nodedir, registry) carry over. Node 24 goes
 * first on PATH so native modules build for the Node that will run them.
 */
function npmEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || (/^npm_config_/i.test(name) && name.toLowerCase() !== "npm_config_user_agent")),
  );
  return { ...env, NODE_ENV: process.env.NODE_ENV, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}` };
}
