import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { BrowserContext } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { endLocalWorkspaces } from "../test/helpers/local-workspaces";
import { freePort } from "../test/helpers/net";
import { launchBrowser } from "./browser";
import { DEMO, signIn } from "./sign-in";
import { typeInTerminalPanel } from "./workspace-terminal";

// Issue 13, "First run on a fresh machine": a fresh clone, the README's quick
// start command exactly as written, and a browser. Dana signs in, creates a
// workspace from a built-in template and runs a command in its terminal. The
// dev server must hydrate its pages for any of that to work: the terminal is
// client-side only.
//
// What a clone gets is what is committed. PODSPACE_NEWCOMER_REPO clones
// another repository instead (a scratch clone with a change under test).

const REPOSITORY = process.env.PODSPACE_NEWCOMER_REPO ?? path.resolve(import.meta.dirname, "..");

/** npm install from the warm npm cache (~3 min on two cores), the first dev compiles, and a workspace's start. */
const TEST_TIMEOUT_MS = 15 * 60_000;
const INSTALL_AND_BOOT_TIMEOUT_MS = 10 * 60_000;
/** Dev mode compiles each page on its first request: a minute or so on two cores. */
const PAGE_TIMEOUT_MS = 3 * 60_000;

/** The command under README.md's "## Quick start" whose comment says it starts Podspace. */
function quickStartCommand(readme: string): string {
  const section = readme.split(/^## Quick start$/m)[1]?.split(/^## /m)[0];
  const block = section?.match(/^```sh\n([\s\S]*?)^```$/m)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "## Quick start"');
  for (const line of block.split("\n")) {
    const [command, comment] = line.split(/\s+#\s+/, 2);
    if (command && comment && /^starts Podspace\b/i.test(comment)) return command.trim();
  }
  throw new Error(`no line in the quick start block says it starts Podspace:\n${block}`);
}

/**
 * The environment of someone who just opened a terminal: no variables from
 * this test run (NODE_ENV=test, npm's own, the suite's database) and no
 * node_modules/.bin of this checkout on PATH.
 */
function newcomerEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined &&
      !/^(npm_|VITEST|VITE_|PODSPACE_)/i.test(entry[0]) &&
      !["NODE_ENV", "NODE_OPTIONS", "DATABASE_URL", "AUTH_SECRET", "PORT", "HOST"].includes(entry[0]),
  );
  const pathEntries = (process.env.PATH ?? "").split(":").filter((entry) => entry && !entry.includes("node_modules"));
  // Next's global types say NODE_ENV is always set; here it deliberately is not.
  return {
    ...Object.fromEntries(inherited),
    PATH: pathEntries.join(":"),
    // The npm cache is warm: take packages from it without asking the registry whether they changed.
    npm_config_prefer_offline: "true",
    // A code-server the suite installed already is reused.
    ...(process.env.PODSPACE_CACHE_DIR ? { PODSPACE_CACHE_DIR: process.env.PODSPACE_CACHE_DIR } : {}),
    ...extra,
  } as Record<string, string> as NodeJS.ProcessEnv;
}

/** The ids of every process in process group `group`. */
function processGroupMembers(group: number): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      // Fields after the command's closing parenthesis: state, ppid, pgrp, …
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ").at(-1)!.split(" ");
      return fields[0] !== "Z" && Number(fields[2]) === group ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Ends `sh -c`, npm, tsx and the server alike: they share the process group
 * the shell leads. SIGTERM first so the server shuts down as on Ctrl-C, then
 * SIGKILL for whatever is left.
 */
async function endProcessGroup(group: number): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-group, name);
    } catch {
      // Nothing left in the group.
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + 15_000;
  while (processGroupMembers(group).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  signal("SIGKILL");
}

interface QuickStart {
  child: ChildProcess;
  output(): string;
  url: string;
  dataDir: string;
}

/** Runs `command` in `cwd` the way a shell would, and resolves once the server says it is ready. */
async function runQuickStart(command: string, cwd: string): Promise<QuickStart> {
  const port = await freePort();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-newcomer-data-"));
  // Detached: the shell leads a process group of its own, so everything it starts can be ended together.
  const child = spawn("sh", ["-c", command], { cwd, env: newcomerEnvironment({ PORT: String(port), PODSPACE_DATA_DIR: dataDir }), detached: true });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`"${command}" did not say "podspace: ready on" in time:\n${output.slice(-8000)}`)), INSTALL_AND_BOOT_TIMEOUT_MS);
    // The address it prints is the one a newcomer opens.
    const onData = () => {
      const ready = /podspace: ready on (\S+)/.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      resolve(ready[1]!);
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`"${command}" exited with ${code}:\n${output.slice(-8000)}`));
    });
  });
  return { child, output: () => output, url, dataDir };
}

describe("a newcomer's first run", () => {
  let clone: string | undefined;
  let podspace: QuickStart | undefined;
  let browser: BrowserContext | undefined;
  const cacheDir = process.env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace");

  afterAll(async () => {
    await browser?.close();
    if (podspace) {
      const processes = processGroupMembers(podspace.child.pid!);
      await endProcessGroup(podspace.child.pid!);
      // Workspaces outlive the server by design: end the one this test started.
      await endLocalWorkspaces(podspace.dataDir);
      await fs.rm(podspace.dataDir, { recursive: true, force: true });
      // A code-server install cut short leaves its staging directory (code-server-<version>.partial-<pid>) behind.
      for (const entry of await fs.readdir(cacheDir).catch(() => [])) {
        const pid = Number(/\.partial-(\d+)$/.exec(entry)?.[1]);
        if (processes.includes(pid)) await fs.rm(path.join(cacheDir, entry), { recursive: true, force: true });
      }
    }
    if (clone) await fs.rm(clone, { recursive: true, force: true });
  }, 120_000);

  it(
    "runs the README's quick start in a fresh clone, signs in, creates a workspace and uses its terminal",
    async () => {
      const startedAt = Date.now();
      clone = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-newcomer-"));
      await promisify(execFile)("git", ["clone", "--quiet", REPOSITORY, clone]);
      const command = quickStartCommand(await fs.readFile(path.join(clone, "README.md"), "utf8"));
      expect(command).toMatch(/npm run dev/);

      podspace = await runQuickStart(command, clone);
      const bootedAt = Date.now();

      browser = await launchBrowser();
      const page = await browser.newPage();
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await signIn(page, podspace.url, { provider: DEMO, account: /Dana Developer/ });

      // From the workspace list, as the app leads her: a new workspace from the general-purpose built-in template.
      await page.goto(`${podspace.url}/workspaces`);
      await page.getByRole("link", { name: /New workspace/ }).first().click();
      await page.waitForURL(/\/workspaces\/new/);
      await page.getByRole("list", { name: "Templates" }).getByRole("link", { name: /^Universal\b/ }).click();
      await page.waitForURL(/\/workspaces\/new\?template=universal$/);
      await page.getByLabel("Name", { exact: true }).fill("first");
      await page.getByRole("button", { name: "Create workspace" }).click();
      await page.waitForURL(/\/workspaces\/(?!new)[^/?]+$/);

      // The terminal connects once the workspace runs, while the IDE may still be installing.
      await page.getByRole("region", { name: "Workspace tools" }).getByText("Connected", { exact: true }).waitFor({ timeout: 5 * 60_000 });
      await typeInTerminalPanel(page, "echo $((6*7))", "42");
      expect(errors.join("\n")).toBe("");

      const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
      console.info(
        `newcomer: clone, install and boot ${seconds(bootedAt - startedAt)}; sign-in to the terminal's 42 ${seconds(Date.now() - bootedAt)}; total ${seconds(Date.now() - startedAt)}`,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
