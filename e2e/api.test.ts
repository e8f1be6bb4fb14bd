import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { PodspaceClient } from "@/lib/sdk";
import { clickUntilShown, screenshot } from "./browser";
import { documentedApi, type ApiCall } from "./api-client";
import { tokenFromPage as makeToken } from "./api-tokens";
import { insertTemplate, query } from "./database";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { healthCheckTemplate } from "./ide-template";

// The REST API through the real server, with tokens made on the Tokens page:
// scopes, expiry and revocation, an idempotent create that can wait until the
// workspace runs, audit entries made "via token", rate limits, and every
// answer checked against the served OpenAPI document.

const RATE_LIMIT = 120;

const TEMPLATE = healthCheckTemplate("api-ide", "API IDE");

describe("the REST API", () => {
  const stack = usePodspaceStack({ PODSPACE_API_RATE_LIMIT: String(RATE_LIMIT) });
  let page: Page;
  let api: ApiCall;

  beforeAll(async () => {
    await insertTemplate(stack.database.url, TEMPLATE);
    page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery, so that Dana is a plain member of team demo.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    ({ api } = await documentedApi(stack.podspace.url));
  });

  const tokenFromPage = (name: string, scopes: string[], team?: string) => makeToken(page, stack.podspace.url, name, scopes, team);

  it("makes a token on the Tokens page, shown once, and lists it without its secret", async () => {
    const token = await tokenFromPage("laptop", ["read", "workspaces:write", "tokens:write"]);
    expect(token).toMatch(/^pds_[\w-]{43}$/);
    await screenshot(page, "api-1-token-created");
    await page.reload();
    expect(await page.getByLabel("The new token").count()).toBe(0);
    const row = page.getByRole("row").filter({ hasText: "laptop" });
    expect(await row.textContent()).toContain(token.slice(0, 12));
    expect(await row.textContent()).not.toContain(token.slice(12));

    const { status, json } = await api(token, "GET", "/tokens", "/tokens");
    expect(status).toBe(200);
    expect(json.tokens.map((listed: { name: string }) => listed.name)).toEqual(["laptop"]);

    // No scope ticked: the form's own message, on the page and from the API.
    const form = page.getByRole("form", { name: "New token" });
    await form.getByLabel("Name").fill("no-scopes");
    for (const box of await form.getByRole("checkbox").all()) await box.setChecked(false);
    await form.getByRole("button", { name: "Create token" }).click();
    await form.getByText("Choose at least one scope.").first().waitFor();
    const refused = await api(token, "POST", "/tokens", "/tokens", { name: "no-scopes", days: 7, scopes: [] });
    expect([refused.status, refused.json.error]).toEqual([422, { code: "invalid", message: "Choose at least one scope.", field: "scopes" }]);
    const noDays = await api(token, "POST", "/tokens", "/tokens", { name: "no-days", scopes: ["read"] });
    expect(noDays.json.error).toEqual({ code: "invalid", message: "Give how many days the token lives, as a number.", field: "days" });
    const huge = await api(token, "POST", "/tokens", "/tokens", { name: "huge", days: 7, scopes: ["read"], padding: "x".repeat(70 * 1024) });
    expect([huge.status, huge.json.error]).toEqual([413, { code: "too_large", message: "The request body is larger than 64 KiB." }]);
  });

  it("refuses requests without a token, with a bad one, and outside the token's scopes", async () => {
    expect((await api(null, "GET", "/workspaces", "/workspaces")).json.error.code).toBe("unauthenticated");
    const bad = await api("pds_not-a-token", "GET", "/workspaces", "/workspaces");
    expect([bad.status, bad.json.error.code]).toEqual([401, "unauthenticated"]);

    const reader = await tokenFromPage("reader", ["read"]);
    expect((await api(reader, "GET", "/templates", "/templates")).json.templates.map((template: { slug: string }) => template.slug)).toContain("api-ide");
    const refused = await api(reader, "POST", "/workspaces", "/workspaces", { name: "nope", template: "api-ide" });
    expect([refused.status, refused.json.error]).toEqual([403, { code: "insufficient_scope", message: "This token lacks the workspaces:write scope." }]);
    // Bad input is the UI's message, naming the field.
    const writer = await tokenFromPage("writer", ["read", "workspaces:write"]);
    const invalid = await api(writer, "POST", "/workspaces", "/workspaces", { name: "Not A Name", template: "api-ide" });
    expect([invalid.status, invalid.json.error.code, invalid.json.error.field]).toEqual([422, "invalid", "name"]);
    expect(invalid.json.error.message).toMatch(/^Use up to 32 lowercase letters/);
    // A field is named as the body names it.
    const nowhere = await api(writer, "POST", "/workspaces", "/workspaces", { name: "nowhere", template: "no-such-template" });
    expect([nowhere.status, nowhere.json.error.field]).toEqual([404, "template"]);
    // A path the API doesn't have answers in JSON too.
    const unknown = await fetch(`${stack.podspace.url}/api/v1/no-such-route`, { headers: { Authorization: `Bearer ${reader}` } });
    expect([unknown.status, unknown.headers.get("content-type"), (await unknown.json()).error.code]).toEqual([404, "application/json", "not_found"]);
  });

  it("creates a workspace once per Idempotency-Key, waits until it runs, and audits it via the token", async () => {
    const token = await tokenFromPage("ci", ["read", "workspaces:write"]);
    const key = randomUUID();
    const body = { name: "from-ci", template: "api-ide", parameters: { cpu: 2, values: { shell: "zsh" } } };

    // ?wait=ready streams the workspace's progress until it runs.
    const response = await fetch(`${stack.podspace.url}/api/v1/workspaces?wait=ready`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify(body),
    });
    expect([response.status, response.headers.get("content-type")]).toEqual([201, "application/x-ndjson"]);
    const lines = (await response.text()).trim().split("\n").map((line) => JSON.parse(line) as { type: string; state?: string; step?: string });
    const [{ id }] = (await query<{ id: string }>(stack.database.url, `SELECT id FROM "Workspace" WHERE name = 'from-ci'`)) as [{ id: string }];
    expect(lines.at(-1)).toEqual({ type: "ready", id });
    expect(lines.filter((line) => line.type === "state").map((line) => line.state)).toContain("RUNNING");
    expect(lines.some((line) => line.type === "event" && line.step === "shell")).toBe(true);

    // The same key again: the same workspace, not a second one or a conflict.
    const again = await api(token, "POST", "/workspaces", "/workspaces", body, { "Idempotency-Key": key });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id, name: "from-ci", state: "RUNNING", resources: { cpu: 2 }, team: { slug: "demo" }, owner: { email: "dev@podspace.dev" } });
    // Without the key, the name is taken: the UI's message.
    const taken = await api(token, "POST", "/workspaces", "/workspaces", body);
    expect([taken.status, taken.json.error.message]).toEqual([409, "You already have a workspace named from-ci."]);

    const listed = await api(token, "GET", "/workspaces", "/workspaces");
    expect(listed.json.workspaces.map((workspace: { id: string }) => workspace.id)).toEqual([id]);
    // The state filter in any case, as the workspace's own state reads.
    const ids = async (state: string) => (await api(token, "GET", `/workspaces?state=${state}`, "/workspaces")).json.workspaces.map((workspace: { id: string }) => workspace.id);
    expect([await ids("RUNNING"), await ids("running"), await ids("Stopped")]).toEqual([[id], [id], []]);
    const asleep = await api(token, "GET", "/workspaces?state=asleep", "/workspaces");
    expect([asleep.status, asleep.json.error.code]).toEqual([422, "invalid"]);
    expect((await api(token, "GET", `/workspaces/${id}`, "/workspaces/{id}")).json.id).toBe(id);

    const stopped = await api(token, "POST", `/workspaces/${id}/stop`, "/workspaces/{id}/stop");
    expect([stopped.status, stopped.json.desiredState]).toEqual([202, "STOPPED"]);
    const audited = await query<{ action: string; via: string }>(
      stack.database.url,
      `SELECT action, via FROM "AuditLog" WHERE "targetId" = $1 ORDER BY "createdAt"`,
      [id],
    );
    expect(audited).toEqual([
      { action: "workspace.created", via: "token ci" },
      { action: "workspace.stop-requested", via: "token ci" },
    ]);
    const unknown = await api(token, "POST", `/workspaces/${id}/explode`, "/workspaces/{id}/stop");
    expect([unknown.status, unknown.json.error.code]).toEqual([404, "not_found"]);
  });

  it("reads its team's quotas and usage, as the team's Quotas and Usage pages show them", async () => {
    await query(
      stack.database.url,
      `INSERT INTO "TeamQuota" (id, "teamId", scope, "maxWorkspaces", "cpuMillicores", "memoryMiB", "monthlyCpuCoreHours", "stopAtBudget", "updatedAt")
        SELECT $1, id, 'LIMIT'::"QuotaScope", 10, 8000, 16384, 100, false, now() FROM "Team" WHERE slug = 'demo'
        UNION ALL SELECT $2, id, 'CEILING'::"QuotaScope", NULL, 4000, NULL, NULL, true, now() FROM "Team" WHERE slug = 'demo'`,
      [randomUUID(), randomUUID()],
    );
    // A day of one workspace, as the metering's rollup keeps it: 2 cores and 1 GiB for 3 hours, a 10 GiB disk all day.
    const [workspace] = await query<{ id: string; teamId: string; ownerId: string; templateId: string }>(
      stack.database.url,
      `SELECT w.id, w."teamId", w."ownerId", v."templateId" FROM "Workspace" w JOIN "TemplateVersion" v ON v.id = w."templateVersionId" WHERE w.name = 'from-ci'`,
    );
    await query(
      stack.database.url,
      `INSERT INTO "UsageDailyRollup" (day, "workspaceId", "teamId", "userId", "templateId", "cpuMillicoreSeconds", "memoryMiBSeconds", "storageGiBSeconds", "workspaceSeconds", "computeSessions", "computeSessionSeconds", "updatedAt")
        VALUES ('2026-01-10', $1, $2, $3, $4, 2000 * 10800, 1024 * 10800, 10 * 86400, 10800, 1, 10800, now())`,
      [workspace!.id, workspace!.teamId, workspace!.ownerId, workspace!.templateId],
    );
    // And its owner's day, which the rollup keeps with it (the active users).
    await query(stack.database.url, `INSERT INTO "UsageUserDailyRollup" (day, "teamId", "userId") VALUES ('2026-01-10', $1, $2)`, [workspace!.teamId, workspace!.ownerId]);
    const token = await tokenFromPage("dashboards", ["read"]);

    const { status, json: quota } = await api(token, "GET", "/teams/demo/quota", "/teams/{team}/quota");
    expect(status).toBe(200);
    expect(quota.team).toMatchObject({ slug: "demo" });
    // In cores and GiB; the stricter of limit and ceiling is enforced; null is no limit.
    expect(quota.quotas.cpuCores).toMatchObject({ limit: 8, ceiling: 4, enforced: 4 });
    expect(quota.quotas.memoryGiB).toMatchObject({ limit: 16, ceiling: null, enforced: 16 });
    expect(quota.quotas.maxWorkspaces).toEqual({ used: 1, limit: 10, ceiling: null, enforced: 10 });
    expect(quota.quotas.maxIdleTimeoutMinutes).toEqual({ used: null, limit: null, ceiling: null, enforced: null });
    expect(quota.stopAtBudget).toBe(true);
    expect(quota.budget).toMatchObject({ budgetCoreHours: 100, level: "ok", usedCoreHours: quota.quotas.monthlyCpuCoreHours.used });
    // The same numbers as the page, row by row (the budget's running total aside: it grows by the second).
    await page.goto(`${stack.podspace.url}/teams/demo/settings/quotas`);
    for (const [name, line] of Object.entries(quota.quotas as Record<string, { used: number | null; limit: number | null; ceiling: number | null; enforced: number | null }>)) {
      if (name === "monthlyCpuCoreHours") continue;
      const cells = (await page.locator(`[data-quota="${name}"] td`).allTextContents()).slice(1, 5).map((cell) => cell.replace(/^([\d.]+) \S+$/, "$1"));
      const shown = (value: number | null, none: string) => (value === null ? none : String(value));
      expect([name, ...cells]).toEqual([name, shown(line.used, "—"), shown(line.limit, "no limit"), shown(line.ceiling, "no limit"), shown(line.enforced, "no limit")]);
    }

    const usage = await api(token, "GET", "/teams/demo/usage?period=custom&from=2026-01-01&to=2026-01-31&by=template", "/teams/{team}/usage");
    expect(usage.status).toBe(200);
    expect(usage.json).toMatchObject({
      team: { slug: "demo" },
      period: { kind: "custom", from: "2026-01-01", to: "2026-01-31" },
      by: "template",
      totals: { cpuCoreHours: 6, memoryGiBHours: 3, storageGiBDays: 10, workspaceHours: 3, activeUsers: 1, sessions: 1, averageSessionHours: 3, backupGiBDays: 0 },
      keys: [{ key: workspace!.templateId, label: "API IDE" }],
      series: [{ day: "2026-01-10", key: workspace!.templateId, cpuCoreHours: 6, memoryGiBHours: 3, storageGiBDays: 10, workspaceHours: 3 }],
      topWorkspaces: [{ id: workspace!.id, name: "from-ci", owner: "Dana Developer", template: "API IDE", deleted: false, cpuCoreHours: 6 }],
    });
    // This month's by default, by user; January's day is outside it.
    const month = await api(token, "GET", "/teams/demo/usage", "/teams/{team}/usage");
    expect([month.json.period.kind, month.json.by, month.json.series.some((point: { day: string }) => point.day === "2026-01-10")]).toEqual(["month", "user", false]);

    // A bad period is the usage page's message, naming the field.
    const invalid = await api(token, "GET", "/teams/demo/usage?period=custom&from=2026-01-01", "/teams/{team}/usage");
    expect([invalid.status, invalid.json.error]).toEqual([422, { code: "invalid", message: "Choose both the first and the last day of the range", field: "from" }]);
    const byTeam = await api(token, "GET", "/teams/demo/usage?by=team", "/teams/{team}/usage");
    expect([byTeam.status, byTeam.json.error.field]).toEqual([422, "by"]);
    // "-" is the one team the token reaches.
    expect((await api(token, "GET", "/teams/-/quota", "/teams/{team}/quota")).json.team.slug).toBe("demo");

    const writer = await tokenFromPage("no-read", ["workspaces:write"]);
    for (const route of ["quota", "usage"]) {
      const refused = await api(writer, "GET", `/teams/demo/${route}`, `/teams/{team}/${route}`);
      expect([route, refused.status, refused.json.error]).toEqual([route, 403, { code: "insufficient_scope", message: "This token lacks the read scope." }]);
    }
    await query(stack.database.url, `DELETE FROM "TeamQuota"`);
  });

  it("refuses a revoked token at once, and an expired one", async () => {
    const token = await tokenFromPage("short-lived", ["read", "tokens:write"]);
    const { json } = await api(token, "GET", "/tokens", "/tokens");
    const self = json.tokens.find((listed: { name: string }) => listed.name === "short-lived");
    expect((await api(token, "DELETE", `/tokens/${self.id}`, "/tokens/{id}")).status).toBe(204);
    expect((await api(token, "GET", "/tokens", "/tokens")).status).toBe(401);

    const expiring = await tokenFromPage("expiring", ["read"]);
    expect((await api(expiring, "GET", "/workspaces", "/workspaces")).status).toBe(200);
    await query(stack.database.url, `UPDATE "ApiToken" SET "expiresAt" = now() - interval '1 second' WHERE name = 'expiring'`);
    const expired = await api(expiring, "GET", "/workspaces", "/workspaces");
    expect([expired.status, expired.json.error.message]).toEqual([401, "This token is invalid, expired or revoked."]);
  });

  it("answers 404 on every workspace and team route to a token of another team, as for ones that don't exist", async () => {
    const [{ id }] = (await query<{ id: string }>(stack.database.url, `SELECT id FROM "Workspace" WHERE name = 'from-ci'`)) as [{ id: string }];
    // Avery, a platform admin and an owner of team demo, binds a token to another team of hers: it reaches nothing in demo.
    const teamId = randomUUID();
    await query(stack.database.url, `INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES ($1, 'other', 'Other', now())`, [teamId]);
    await query(
      stack.database.url,
      `INSERT INTO "Membership" (id, "userId", "teamId", role, "updatedAt") SELECT $1, id, $2, 'OWNER', now() FROM "User" WHERE email = 'admin@podspace.dev'`,
      [randomUUID(), teamId],
    );
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    // The audit log says which changes came through a token, and which.
    await page.goto(`${stack.podspace.url}/audit?action=workspace.created`);
    expect(await page.getByRole("row").filter({ hasText: "Dana Developer" }).textContent()).toContain("via token ci");
    // Even with the admin scope: bound to a team, the token lends no platform-wide rights. With exec too, so that
    // the commands' and files' 404 comes from the workspace, not the scope.
    const outsider = await tokenFromPage("other-team", ["read", "workspaces:write", "exec", "tokens:write", "admin"], "Other");

    const routes: Array<[method: string, route: string, documented: string, body?: unknown]> = [
      ["GET", `/workspaces/${id}`, "/workspaces/{id}"],
      ["PATCH", `/workspaces/${id}`, "/workspaces/{id}", { parameters: { cpu: 1 } }],
      ["DELETE", `/workspaces/${id}`, "/workspaces/{id}"],
      ["GET", `/workspaces/${id}/events`, "/workspaces/{id}/events"],
      ...["start", "stop", "restart", "update", "retry"].map((operation): [string, string, string] => ["POST", `/workspaces/${id}/${operation}`, `/workspaces/{id}/${operation}`]),
      ["POST", `/workspaces/${id}/exec`, "/workspaces/{id}/exec", { command: ["true"] }],
      ["GET", `/workspaces/${id}/files?path=.`, "/workspaces/{id}/files"],
      ["PUT", `/workspaces/${id}/files?path=.`, "/workspaces/{id}/files"],
      ["GET", `/workspaces/${id}/backups`, "/workspaces/{id}/backups"],
      ["POST", `/workspaces/${id}/backups`, "/workspaces/{id}/backups"],
    ];
    for (const [method, route, documented, body] of routes) {
      const answer = await api(outsider, method, route, documented, body);
      expect([method, route, answer.status, answer.json.error.message]).toEqual([method, route, 404, "Workspace not found."]);
    }
    // Its backups too: a succeeded one (its snapshot is never read: the refusal comes first).
    const backupId = randomUUID();
    await query(
      stack.database.url,
      `INSERT INTO "Backup" (id, "teamId", "workspaceId", reason, status, "snapshotId", "finishedAt") SELECT $1, "teamId", id, 'STOP', 'SUCCEEDED', 'deadbeef', now() FROM "Workspace" WHERE id = $2`,
      [backupId, id],
    );
    for (const route of ["files", "download"]) {
      const answer = await api(outsider, "GET", `/backups/${backupId}/${route}?path=.`, `/backups/{id}/${route}`);
      expect([route, answer.status, answer.json.error.message]).toEqual([route, 404, "Backup not found."]);
    }
    expect((await api(outsider, "GET", "/workspaces?scope=team", "/workspaces")).json.workspaces).toEqual([]);
    // And the WebSockets: exec, the terminal, port forwarding.
    const sdk = new PodspaceClient({ url: stack.podspace.url, token: outsider });
    for (const open of [() => sdk.workspaces.exec(id, ["true"]), () => sdk.workspaces.terminal(id), () => sdk.workspaces.forwardPort(id, 3000)]) {
      await expect(open()).rejects.toMatchObject({ status: 404, message: "Workspace not found." });
    }
    // Nor read another team's quotas and usage: not found, as a team that doesn't exist.
    for (const team of ["demo", "no-such-team"]) {
      for (const route of ["quota", "usage"]) {
        const answer = await api(outsider, "GET", `/teams/${team}/${route}`, `/teams/{team}/${route}`);
        expect([team, route, answer.status, answer.json.error.message]).toEqual([team, route, 404, "Team not found."]);
      }
    }
    // Its own, yes.
    expect((await api(outsider, "GET", "/teams/other/quota", "/teams/{team}/quota")).json.team.slug).toBe("other");
    // Nor can it revoke someone else's token.
    const [dana] = await query<{ id: string }>(stack.database.url, `SELECT id FROM "ApiToken" WHERE name = 'ci'`);
    const revoke = await api(outsider, "DELETE", `/tokens/${dana!.id}`, "/tokens/{id}");
    expect([revoke.status, revoke.json.error.message]).toEqual([404, "Token not found."]);
    // The workspace is untouched.
    const [row] = await query<{ desiredState: string }>(stack.database.url, `SELECT "desiredState" FROM "Workspace" WHERE id = $1`, [id]);
    expect(row).toEqual({ desiredState: "STOPPED" });
  });

  it("lets team admins make service accounts whose tokens act as a member of the team, within its quotas", async () => {
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    await page.goto(`${stack.podspace.url}/teams/demo/settings`);
    const create = page.getByRole("form", { name: "New service account" });
    await create.getByLabel("New service account").fill("ci-bot");
    await create.getByRole("button", { name: "Create service account" }).click();
    const account = page.getByRole("region", { name: "Service account ci-bot" });
    const form = account.getByRole("form", { name: "New token for ci-bot" });
    await form.getByLabel("Name").fill("pipeline");
    await form.getByRole("button", { name: "Create token" }).click();
    const token = await account.getByLabel("The new token").inputValue();
    await screenshot(page, "api-2-service-account");

    // It creates as itself, in its team, and counts as a member against the team's quotas.
    await query(
      stack.database.url,
      `INSERT INTO "TeamQuota" (id, "teamId", scope, "maxWorkspacesPerMember", "updatedAt") SELECT $1, id, 'LIMIT', 1, now() FROM "Team" WHERE slug = 'demo'
        ON CONFLICT ("teamId", scope) DO UPDATE SET "maxWorkspacesPerMember" = 1`,
      [randomUUID()],
    );
    const first = await api(token, "POST", "/workspaces", "/workspaces", { name: "bot-1", template: "api-ide" });
    expect([first.status, first.json.owner.email, first.json.team.slug]).toEqual([201, "ci-bot.demo@service-accounts.podspace.invalid", "demo"]);
    const second = await api(token, "POST", "/workspaces", "/workspaces", { name: "bot-2", template: "api-ide" });
    expect([second.status, second.json.error.code]).toEqual([409, "quota"]);
    await query(stack.database.url, `UPDATE "TeamQuota" SET "maxWorkspacesPerMember" = NULL`);

    // Removed, its token is refused at once; its workspace stays.
    await page.reload();
    const removeAccount = page.getByRole("dialog").getByRole("button", { name: "Remove service account" });
    await clickUntilShown(account.getByRole("button", { name: "Remove ci-bot" }), removeAccount);
    await removeAccount.click();
    await account.waitFor({ state: "detached" });
    expect((await api(token, "GET", "/workspaces", "/workspaces")).status).toBe(401);
    const audited = await query<{ action: string }>(stack.database.url, `SELECT action FROM "AuditLog" WHERE action LIKE 'service-account.%' ORDER BY "createdAt"`);
    expect(audited.map((entry) => entry.action)).toEqual(["service-account.created", "service-account.removed"]);
  });

  it("answers 429 with Retry-After once a token spends its requests for the minute", async () => {
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    const token = await tokenFromPage("busy", ["read"]);
    const statuses = await Promise.all(
      Array.from({ length: RATE_LIMIT + 5 }, () =>
        fetch(`${stack.podspace.url}/api/v1/templates`, { headers: { Authorization: `Bearer ${token}` } }).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        }),
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(RATE_LIMIT);
    const limited = await api(token, "GET", "/templates", "/templates");
    expect([limited.status, limited.json.error.code]).toEqual([429, "rate_limited"]);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another token's budget is its own.
    const other = await tokenFromPage("calm", ["read"]);
    expect((await api(other, "GET", "/templates", "/templates")).status).toBe(200);
  });
});
