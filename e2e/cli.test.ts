import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { PodspaceApiError, PodspaceClient, type ReadinessProgress, type Workspace, type WorkspaceUpdate } from "@/lib/sdk";
import { tokenFromPage } from "./api-tokens";
import { podspaceCli } from "./cli-process";
import { insertTemplate, query } from "./database";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { healthCheckTemplate } from "./ide-template";

// The podspace CLI as a user runs it (a child process, its launcher, a config
// file of its own) and the SDK it is built on, against a real server with
// tokens made on the Tokens page: logging in, a workspace's life, tokens,
// exit codes, and the SDK's idempotent create, progress and events.


const TEMPLATE = healthCheckTemplate("cli-ide", "CLI IDE");

describe("the podspace CLI and SDK", () => {
  const stack = usePodspaceStack();
  let page: Page;
  let token: string;
  let config: string;

  beforeAll(async () => {
    await insertTemplate(stack.database.url, TEMPLATE);
    page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery, so that Dana is a plain member of team demo.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    token = await tokenFromPage(page, stack.podspace.url, "laptop", ["read", "workspaces:write", "tokens:write"]);
    config = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "podspace-cli-")), "config.json");
  });

  const cli = podspaceCli(() => config);
  const podspace = (args: string[], env: Record<string, string> = {}) => cli.run(args, { env });

  it("refuses a bad token with the not-authenticated exit code, and stores a good one readable by its owner only", async () => {
    const before = await podspace(["ls"]);
    expect([before.code, before.stderr.trim()]).toEqual([3, "podspace: Not logged in: run podspace login --url <url> --token <token>, or set PODSPACE_URL and PODSPACE_TOKEN."]);

    const bad = await podspace(["login", "--url", stack.podspace.url, "--token", "pds_not-a-token"]);
    expect([bad.code, bad.stderr.trim()]).toEqual([3, "podspace: This token is invalid, expired or revoked."]);
    await expect(fs.access(config)).rejects.toThrow(/ENOENT/);

    const good = await podspace(["login", "--url", stack.podspace.url, "--token", token]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("with token laptop (read, workspaces:write, tokens:write)");
    expect(JSON.parse(await fs.readFile(config, "utf8"))).toEqual({ url: stack.podspace.url, token });
    expect((await fs.stat(config)).mode & 0o777).toBe(0o600);

    const templates = await podspace(["templates", "--json"]);
    expect(JSON.parse(templates.stdout).map((template: { slug: string }) => template.slug)).toContain("cli-ide");
    const usage = await podspace(["create", "no-template"]);
    expect([usage.code, usage.stderr.trim()]).toEqual([2, "podspace: Give --template <slug> (podspace templates lists them)."]);
  });

  it("shows the team's quotas and usage (the one team the token reaches, or --team), --json the API's answer", async () => {
    const quota = await podspace(["quota", "--json"]);
    expect(quota.code).toBe(0);
    expect(JSON.parse(quota.stdout)).toEqual(await new PodspaceClient({ url: stack.podspace.url, token }).teams.quota("demo"));
    const table = (await podspace(["quota", "--team", "demo"])).stdout.split("\n");
    expect(table[0]).toMatch(/^Quotas of .+ \(demo\):$/);
    expect(table[1]).toMatch(/^QUOTA\s+IN USE\s+TEAM LIMIT\s+PLATFORM CEILING\s+ENFORCED$/);
    expect(table.filter((line) => /^cpuCores\s+0\s+no limit\s+no limit\s+no limit$/.test(line))).toHaveLength(1);
    // No budget, so nothing about what happens at it.
    expect(table.filter((line) => line.startsWith("At the budget") || line.startsWith("Monthly CPU budget"))).toEqual([]);

    const usage = await podspace(["usage"]);
    expect(usage.code).toBe(0);
    expect(usage.stdout.split("\n")[0]).toMatch(/^Usage of .+ \(demo\), this month: \d{4}-\d{2}-01 to \d{4}-\d{2}-\d{2}$/);
    const byTemplate = await podspace(["usage", "--period", "30d", "--by", "template", "--json"]);
    expect(JSON.parse(byTemplate.stdout)).toMatchObject({ team: { slug: "demo" }, period: { kind: "30d" }, by: "template", totals: { cpuCoreHours: 0 } });

    // The usage page's message for a bad period; a team out of reach is not found.
    const invalid = await podspace(["usage", "--period", "custom", "--from", "2026-01-01"]);
    expect([invalid.code, invalid.stderr.trim()]).toEqual([1, "podspace: Choose both the first and the last day of the range"]);
    const missing = await podspace(["quota", "--team", "nope"]);
    expect([missing.code, missing.stderr.trim()]).toEqual([4, "podspace: Team not found."]);
  });

  it("creates a workspace and waits until it runs, lists it, stops and deletes it by name", async () => {
    const created = await podspace(["create", "from-cli", "--template", "cli-ide", "--param", "shell=zsh", "--cpu", "2", "--wait"]);
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split("\n");
    expect(lines).toContain("state RUNNING");
    expect(lines.at(-1)).toMatch(/^Workspace from-cli \(\S+\) is RUNNING\.$/);

    const listed = await podspace(["ls", "--json"]);
    const [workspace] = JSON.parse(listed.stdout) as Workspace[];
    expect(workspace).toMatchObject({ name: "from-cli", state: "RUNNING", resources: { cpu: 2 }, template: { slug: "cli-ide" }, team: { slug: "demo" } });
    const table = await podspace(["ls"]);
    expect(table.stdout.split("\n")[1]).toMatch(/^from-cli\s+RUNNING\s+cli-ide\s+demo\s+2\s+1 GiB\s+1 GiB$/);

    // The API's own message and field, and the API error's exit code.
    const taken = await podspace(["create", "from-cli", "--template", "cli-ide"]);
    expect([taken.code, taken.stderr.trim()]).toEqual([1, "podspace: You already have a workspace named from-cli."]);

    const stopped = await podspace(["stop", "from-cli", "--json"]);
    expect([stopped.code, JSON.parse(stopped.stdout).desiredState]).toEqual([0, "STOPPED"]);
    // Going on without a final backup is for a delete whose final backup failed, not a first resort.
    const rushed = await podspace(["delete", "from-cli", "--without-backup"]);
    expect([rushed.code, rushed.stderr.trim()]).toEqual([1, "podspace: Only a workspace being deleted whose final backup failed can be deleted without one."]);
    const deleted = await podspace(["delete", "from-cli", "--json"]);
    expect([deleted.code, JSON.parse(deleted.stdout).id]).toEqual([0, workspace!.id]);

    const missing = await podspace(["start", "no-such-workspace"]);
    expect([missing.code, missing.stderr.trim()]).toEqual([4, "podspace: Workspace not found."]);
    const missingJson = await podspace(["start", "no-such-workspace", "--json"]);
    expect([missingJson.code, JSON.parse(missingJson.stderr)]).toEqual([4, { error: { message: "Workspace not found.", code: "not_found", status: 404 } }]);
  });

  it("creates, lists and revokes tokens; a revoked token is refused at once", async () => {
    const created = await podspace(["tokens", "create", "ci-bot", "--scope", "read", "--days", "7", "--json"]);
    expect(created.code).toBe(0);
    const { token: secret } = JSON.parse(created.stdout) as { token: string };
    const listed = await podspace(["tokens", "ls", "--json"]);
    expect(JSON.parse(listed.stdout).map((listedToken: { name: string }) => listedToken.name).sort()).toEqual(["ci-bot", "laptop"]);

    // PODSPACE_TOKEN overrides the stored token.
    const asBot = { PODSPACE_TOKEN: secret };
    expect((await podspace(["ls"], asBot)).code).toBe(0);
    const refused = await podspace(["tokens", "revoke", "laptop"], asBot);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, "podspace: This token lacks the tokens:write scope."]);

    const revoked = await podspace(["tokens", "revoke", "ci-bot"]);
    expect([revoked.code, revoked.stdout.trim()]).toEqual([0, "Revoked token ci-bot."]);
    expect((await podspace(["ls"], asBot)).code).toBe(3);
    expect((await podspace(["tokens", "revoke", "ci-bot"])).code).toBe(4);
  });

  it("SDK: creates once per idempotency key, reports progress until ready, and follows events", async () => {
    const client = new PodspaceClient({ url: stack.podspace.url, token });
    const input = { name: "from-sdk", template: "cli-ide" };
    const idempotencyKey = randomUUID();
    const progress: ReadinessProgress[] = [];
    const ready = await client.workspaces.create(input, { idempotencyKey, waitUntilReady: true, onProgress: (line) => progress.push(line) });
    expect(ready).toMatchObject({ name: "from-sdk", state: "RUNNING" });
    expect(progress.filter((line) => line.type === "state").map((line) => line.state)).toContain("RUNNING");
    expect(progress.some((line) => line.type === "event" && line.step === "shell")).toBe(true);

    const again = await client.workspaces.create(input, { idempotencyKey });
    expect(again.id).toBe(ready.id);
    const conflict = await client.workspaces.create(input).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(PodspaceApiError);
    expect(conflict).toMatchObject({ status: 409, code: "conflict", message: "You already have a workspace named from-sdk." });
    const invalid = await client.workspaces.create({ name: "Not A Name", template: "cli-ide" }).catch((error: unknown) => error);
    expect(invalid).toMatchObject({ status: 422, code: "invalid", field: "name" });

    // The events stream starts with the state, then follows a stop through to STOPPED.
    const stop = new AbortController();
    const seen: WorkspaceUpdate[] = [];
    for await (const update of client.workspaces.events(ready.id, { signal: stop.signal })) {
      seen.push(update);
      if (seen.length === 1) await client.workspaces.stop(ready.id);
      if (update.type === "state" && update.workspace.state === "STOPPED") stop.abort();
    }
    expect(seen[0]).toMatchObject({ type: "state", workspace: { state: "RUNNING" } });
    expect(seen.at(-1)).toMatchObject({ type: "state", workspace: { state: "STOPPED" } });

    // A stopped workspace takes new settings without a restart.
    expect(await client.workspaces.changeSettings(ready.id, { parameters: { cpu: 2 } })).toEqual({ changed: ["CPU 1 → 2"], restarts: false });
  });

  it("`podspace events` follows a workspace until Ctrl-C, then exits 0", async () => {
    const child = cli.start(["events", "from-sdk", "--json"]);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({ type: "state", workspace: { state: "STOPPED" } });
      break;
    }
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("asks for --team, with a usage error, when the token reaches several teams and the command names none", async () => {
    await query(stack.database.url, `INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES ('team-two', 'two', 'Two', now())`);
    await query(
      stack.database.url,
      `INSERT INTO "Membership" (id, "teamId", "userId", role, "updatedAt") SELECT 'member-two', 'team-two', "userId", 'MEMBER', now() FROM "ApiToken" WHERE name = 'laptop'`,
    );
    try {
      const created = await podspace(["create", "somewhere", "--template", "cli-ide"]);
      expect(created.code).toBe(2);
      expect(created.stderr.trim()).toMatch(/^podspace: Name a team: (demo, two|two, demo)\. Give --team <slug>\.$/);
    } finally {
      await query(stack.database.url, `DELETE FROM "Membership" WHERE id = 'member-two'`);
      await query(stack.database.url, `DELETE FROM "Team" WHERE id = 'team-two'`);
    }
  });
});
