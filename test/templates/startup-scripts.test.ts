import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadBuiltInTemplates } from "@/lib/templates/seed";

// The built-in templates' startup scripts, run by /bin/sh as a workspace runs
// them, with code-server and curl stood in for by scripts that succeed or
// fail: a step that fails must make the script exit non-zero, which is what
// the workspace's page warns about (lib/runtime/startup-command.ts), and a
// script whose steps all succeed must exit 0.

const run = promisify(execFile);

describe("the built-in templates' startup scripts", () => {
  let home: string;
  let stubs: string;
  beforeEach(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-startup-"));
    stubs = path.join(home, "stubs");
    await fs.mkdir(stubs);
  });
  afterEach(() => fs.rm(home, { recursive: true, force: true }));

  /** code-server and curl on PATH, each exiting with `status`; this Node.js and the host's own tools (sh, tar) after them. */
  async function tools(status: 0 | 1) {
    for (const name of ["code-server", "curl"]) await fs.writeFile(path.join(stubs, name), `#!/bin/sh\nexit ${status}\n`, { mode: 0o755 });
  }

  async function runScript(slug: string, params: Record<string, string>): Promise<{ code: number; stderr: string }> {
    const spec = (await loadBuiltInTemplates()).find((template) => template.spec.slug === slug)!.spec;
    const env: Record<string, string> = { HOME: home, PATH: `${stubs}:${path.dirname(process.execPath)}:/usr/bin:/bin`, ...Object.fromEntries(Object.entries(params).map(([name, value]) => [`PODSPACE_PARAM_${name}`, value])) };
    try {
      const { stderr } = await run("/bin/sh", ["-c", `( ${spec.startupScript}\n)`], { env: env as unknown as NodeJS.ProcessEnv, cwd: home, timeout: 60_000 });
      return { code: 0, stderr };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr };
    }
  }

  const nodeMajor = process.versions.node.split(".")[0]!;
  const cases: Array<[slug: string, params: Record<string, string>, says: RegExp]> = [
    ["universal", { INSTALL_EXTENSIONS: "true" }, /could not install eamodio\.gitlens/],
    ["go", { INSTALL_EXTENSIONS: "true" }, /could not install golang\.go/],
    ["python", { INSTALL_EXTENSIONS: "true", CREATE_VENV: "false" }, /could not install ms-python\.python/],
    ["node", { INSTALL_EXTENSIONS: "true", NODE_VERSION: nodeMajor === "24" ? "22" : "24" }, /could not install Node\.js/],
  ];

  it.each(cases)("%s: exits non-zero when a step fails, saying which", async (slug, params, says) => {
    await tools(1);
    const { code, stderr } = await runScript(slug, params);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(says);
  });

  it.each(["go", "node", "python"])("%s: exits non-zero when code-server isn't there and its download fails", async (slug) => {
    await tools(1);
    await fs.rm(path.join(stubs, "code-server"));
    const nodeVersion: Record<string, string> = slug === "node" ? { NODE_VERSION: nodeMajor } : {};
    const { code, stderr } = await runScript(slug, { INSTALL_EXTENSIONS: "false", ...nodeVersion });
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/could not install code-server/);
  });

  it.each(cases)("%s: exits 0 when every step succeeds", async (slug, params) => {
    await tools(0);
    // The Node.js the template asks for is the one on PATH, so nothing is downloaded.
    const { code, stderr } = await runScript(slug, slug === "node" ? { ...params, NODE_VERSION: nodeMajor } : params);
    expect(code, stderr).toBe(0);
  });
});
