import type http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiUsageCsv, aiUsageReport } from "@/lib/ai/ai-report";
import { periodOf } from "@/lib/ai/budget";
import { setAiBudget } from "@/lib/ai/budget-settings";
import { parseAiConfig, type AiGatewayState } from "@/lib/ai/config";
import { BUDGET_HEADER, MODEL_HEADER } from "@/lib/ai/gateway";
import { createGatewayServer } from "@/lib/ai/gateway-server";
import { workspaceAiToken } from "@/lib/ai/workspace-token";
import { createApiToken } from "@/lib/api-tokens/tokens";
import { getDb } from "@/lib/db/client";
import type { Team, User } from "@/lib/generated/prisma/client";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";
import { COMPLETION, INPUT_TOKENS, OUTPUT_TOKENS, startFakeProvider, type FakeProvider } from "./fake-provider";

// The gateway end to end over real HTTP: a client → Podspace's gateway
// server → a fake provider speaking OpenAI's and Anthropic's streaming
// protocols with known usage, on real PostgreSQL (budgets are row locks
// under concurrency, which only a real server shows).

usePostgresAppDatabase();

let provider: FakeProvider;
let gateway: http.Server;
let base: string;
let owner: User;
let admin: User;
let team: Team;
let other: Team;
let key: string;

function config(fake: string): AiGatewayState {
  const price = { inputPerMillion: 1, outputPerMillion: 2 };
  return parseAiConfig(
    JSON.stringify({
      providers: [
        { id: "primary", type: "openai", baseUrl: `${fake}/primary/`, models: ["small-model", "medium-model", "big-model"].map((name) => ({ name, ...price })) },
        { id: "busy", type: "openai", baseUrl: `${fake}/fail-429`, models: [{ name: "m", ...price }] },
        { id: "broken", type: "openai", baseUrl: `${fake}/fail-500`, models: [{ name: "m", ...price }] },
        { id: "claude", type: "anthropic", baseUrl: `${fake}/claude`, models: [{ name: "claude-x", inputPerMillion: 3, outputPerMillion: 15 }] },
        { id: "claude-busy", type: "anthropic", baseUrl: `${fake}/fail-429`, models: [{ name: "claude-x", ...price }] },
      ],
      aliases: {
        small: ["primary/small-model"],
        medium: ["busy/m", "broken/m", "primary/medium-model"],
        large: ["primary/big-model", "claude/claude-x"],
        sonnet: ["claude-busy/claude-x", "claude/claude-x"],
      },
      rules: [{ pattern: "\\barchitect", alias: "large" }],
    }),
    "test",
  );
}

beforeAll(async () => {
  provider = await startFakeProvider();
  const state = config(provider.url);
  expect(state).toMatchObject({ on: true });
  gateway = createGatewayServer(state);
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/v1`;
  owner = await createUser("ai-owner@example.com");
  admin = await createUser("ai-admin@example.com");
  team = await createTeamWith("ai-team", [[admin, "ADMIN"], [owner, "MEMBER"]]);
  other = await createTeamWith("ai-other", [[owner, "MEMBER"]]);
  key = (await createApiToken(await actorFor(owner), { name: "ai", days: 1, scopes: ["ai"], teamId: team.id })).token;
});
afterAll(async () => {
  gateway?.closeAllConnections();
  await new Promise((resolve) => gateway?.close(resolve));
  await provider?.close();
});

const chat = (body: object, headers: Record<string, string> = {}, secret = key, signal?: AbortSignal) =>
  fetch(`${base}/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...headers }, body: JSON.stringify(body), signal });
const messages = (body: object, secret = key) =>
  fetch(`${base}/messages`, { method: "POST", headers: { "x-api-key": secret, "content-type": "application/json", "anthropic-beta": "test-beta" }, body: JSON.stringify(body) });
const ask = (model: string, text = "fix this", extra: object = {}) => ({ model, stream: true, messages: [{ role: "user", content: text }], ...extra });

/** The text a stream carried: OpenAI's deltas or Anthropic's text deltas. */
function streamedText(body: string): string {
  return body
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
    .map((line) => JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[]; delta?: { text?: string } })
    .map((event) => event.choices?.[0]?.delta?.content ?? event.delta?.text ?? "")
    .join("");
}

const counters = async (teamId: string, userId = "") =>
  getDb().aiBudgetCounter.findUnique({ where: { teamId_userId_period: { teamId, userId, period: periodOf(new Date()) } } });

async function setBudget(values: Partial<{ teamTokens: number | null; memberTokens: number | null; teamCostMicros: number | null; allowedModels: string[] }>) {
  await setAiBudget(await actorFor(admin), {
    teamId: team.id,
    scope: "LIMIT",
    values: { teamTokens: null, teamCostMicros: null, memberTokens: null, memberCostMicros: null, allowedModels: [], ...values },
  });
}

describe("routing", () => {
  it("sends an alias to its model and streams the answer through", async () => {
    const response = await chat(ask("small"));
    expect(response.status).toBe(200);
    expect(response.headers.get(MODEL_HEADER)).toBe("primary/small-model");
    expect(streamedText(await response.text())).toBe(COMPLETION.join(""));
    const sent = provider.received.at(-1)!;
    expect(sent).toMatchObject({ provider: "primary", path: "/chat/completions", body: { model: "small-model", stream_options: { include_usage: true } } });
    expect(sent.headers.authorization).toBeUndefined();
  });

  it("sends the output cap under the name the client gave it (reasoning models take only max_completion_tokens)", async () => {
    for (const [cap, sent] of [
      [{ max_completion_tokens: 4 }, { max_completion_tokens: 4 }],
      [{ max_tokens: 4 }, { max_tokens: 4 }],
    ] as const) {
      await (await chat(ask("small", "x", cap))).text();
      const { body } = provider.received.at(-1)!;
      expect(Object.fromEntries(Object.entries(body).filter(([name]) => name.startsWith("max_")))).toEqual(sent);
    }
  });

  it("picks the alias of `auto` by the task header, then by the rules, then the default", async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ "x-podspace-task": "syntax-fix" }, "fix the comma", "primary/small-model"],
      [{ "x-podspace-task": "architecture" }, "fix the comma", "primary/big-model"],
      [{}, "How should we architect the billing service?", "primary/big-model"],
      [{}, "Write docs for this function", "primary/medium-model"],
    ];
    for (const [headers, text, model] of cases) {
      const response = await chat(ask("auto", text), headers);
      expect(response.headers.get(MODEL_HEADER), text).toBe(model);
      await response.text();
    }
    const unknown = await chat(ask("auto"), { "x-podspace-task": "poetry" });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/Unknown task class poetry/);
  });

  it("falls back past a 429 and a 500 to the next model, charging only the one that answered", async () => {
    const before = provider.received.length;
    const response = await chat(ask("medium"));
    expect(response.headers.get(MODEL_HEADER)).toBe("primary/medium-model");
    expect(streamedText(await response.text())).toBe(COMPLETION.join(""));
    expect(provider.received.slice(before).map((request) => request.provider)).toEqual(["fail-429", "fail-500", "primary"]);

    const anthropic = await messages({ model: "sonnet", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(anthropic.headers.get(MODEL_HEADER)).toBe("claude/claude-x");
    expect(streamedText(await anthropic.text())).toBe(COMPLETION.join(""));
    // Its beta header goes on; its key, the workspace's or the token's, never does.
    expect(provider.received.at(-1)!.headers).toMatchObject({ "anthropic-beta": "test-beta", "anthropic-version": "2023-06-01" });
    expect(provider.received.at(-1)!.headers["x-api-key"]).toBeUndefined();
  });

  it("keeps each endpoint to the models of its protocol", async () => {
    const response = await chat(ask("sonnet"));
    expect(response.status).toBe(422);
  });
});

describe("usage", () => {
  it("settles what the provider reported, streamed or not, in both protocols", async () => {
    const start = await counters(team.id);
    const earlier = new Set((await getDb().aiUsage.findMany({ select: { id: true } })).map((row) => row.id));
    const runs = [
      await chat(ask("small")),
      await chat(ask("small", "hi", { stream: false })),
      // `large` on the Messages endpoint: its Anthropic model.
      await messages({ model: "large", max_tokens: 3, stream: true, messages: [{ role: "user", content: "hi" }] }),
      await messages({ model: "claude/claude-x", max_tokens: 3, stream: true, messages: [{ role: "user", content: "hi" }] }),
      await messages({ model: "claude-x", max_tokens: 100, messages: [{ role: "user", content: "hi" }] }),
    ];
    expect(runs.map((response) => [response.status, response.headers.get(MODEL_HEADER)])).toEqual([
      [200, "primary/small-model"],
      [200, "primary/small-model"],
      [200, "claude/claude-x"],
      [200, "claude/claude-x"],
      [200, "claude/claude-x"],
    ]);
    await Promise.all(runs.map((response) => response.text()));
    const expectedTokens = 3 * (INPUT_TOKENS + OUTPUT_TOKENS) + 2 * (INPUT_TOKENS + 3);
    const end = await counters(team.id);
    expect(Number(end!.usedTokens - (start?.usedTokens ?? 0n))).toBe(expectedTokens);
    expect(end!.reservedTokens).toBe(0n);
    // Rows of one millisecond have no order: compared as a set, by provider and tokens.
    const rows = (await getDb().aiUsage.findMany({ where: { teamId: team.id } })).filter((row) => !earlier.has(row.id));
    const seen = rows.map((row) => [row.provider, row.inputTokens, row.outputTokens, Number(row.costMicros), row.outcome].join(" ")).sort();
    expect(seen).toEqual(
      [
        ["claude", INPUT_TOKENS, 3, INPUT_TOKENS * 3 + 3 * 15, "ok"],
        ["claude", INPUT_TOKENS, 3, INPUT_TOKENS * 3 + 3 * 15, "ok"],
        ["claude", INPUT_TOKENS, OUTPUT_TOKENS, INPUT_TOKENS * 3 + OUTPUT_TOKENS * 15, "ok"],
        ["primary", INPUT_TOKENS, OUTPUT_TOKENS, INPUT_TOKENS * 1 + OUTPUT_TOKENS * 2, "ok"],
        ["primary", INPUT_TOKENS, OUTPUT_TOKENS, INPUT_TOKENS * 1 + OUTPUT_TOKENS * 2, "ok"],
      ]
        .map((row) => row.join(" "))
        .sort(),
    );
  });
});

describe("usage reports", () => {
  it("sums the requests per user, model and workspace as the counters settled them, and exports them as CSV", async () => {
    const period = { kind: "custom" as const, from: new Date(Date.now() - 86_400_000), until: new Date(Date.now() + 86_400_000) };
    const report = await aiUsageReport(team.id, period);
    const settled = await counters(team.id);
    expect(report.total.inputTokens + report.total.outputTokens).toBe(Number(settled!.usedTokens));
    expect(report.byUser.map((line) => line.label)).toEqual(["ai-owner@example.com"]);
    expect(report.byModel.map((line) => line.label).sort()).toEqual(["claude/claude-x", "primary/big-model", "primary/medium-model", "primary/small-model"]);
    const csv = await aiUsageCsv(team.id, period);
    const [header, ...rows] = csv.trim().split("\n");
    expect(header).toBe("day,team,user,workspace,provider,model,requests,input_tokens,output_tokens,cost_usd");
    const small = rows.find((row) => row.includes(",primary,small-model,"))!.split(",");
    expect(small.slice(1, 6)).toEqual(["ai-team", "ai-owner@example.com", "", "primary", "small-model"]);
    expect(Number(small[7])).toBe(Number(small[6]) * INPUT_TOKENS);
  });
});

describe("budgets", () => {
  it("admits exactly the concurrent streamed requests whose worst case fits, and settles them within the budget", async () => {
    const body = ask("small", "count", { max_tokens: 50 });
    // Learn one request's worst case from an unlimited team's counters while it is held in flight.
    let gate = provider.hold();
    const probe = chat(body);
    await waitFor(async () => Number((await counters(team.id))?.reservedTokens ?? 0n) > 0);
    const worst = Number((await counters(team.id))!.reservedTokens);
    gate.release();
    await (await probe).text();

    const used = Number((await counters(team.id))!.usedTokens);
    const fits = 37;
    await setBudget({ teamTokens: used + fits * worst });
    gate = provider.hold();
    const before = provider.received.length;
    // Each answer starts (status and headers) while the provider holds the stream: all 100 are decided before any settles.
    const done = await Promise.all(Array.from({ length: 100 }, () => chat(body)));
    const statuses = done.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(fits);
    expect(statuses.filter((status) => status === 429)).toHaveLength(100 - fits);
    expect(Number((await counters(team.id))!.reservedTokens)).toBe(fits * worst);
    const refusal = (await done.find((response) => response.status === 429)!.json()) as { error: { message: string; type: string } };
    expect(refusal.error).toMatchObject({ type: "insufficient_quota", message: expect.stringMatching(/team's monthly AI budget is spent/) });
    gate.release();
    await Promise.all(done.map((response) => response.text().catch(() => "")));
    const after = await counters(team.id);
    expect(after!.reservedTokens).toBe(0n);
    expect(Number(after!.usedTokens) - used).toBe(fits * (INPUT_TOKENS + OUTPUT_TOKENS));
    expect(Number(after!.usedTokens)).toBeLessThanOrEqual(used + fits * worst);
    expect(provider.received.length - before).toBe(fits);
  });

  it("refuses at exactly the limit, warns from 80 %, and the member's budget binds too", async () => {
    const body = ask("small", "x", { max_tokens: 5, stream: false });
    const worst = await worstOf(body);
    const used = Number((await counters(team.id))!.usedTokens);
    // Room for exactly one: the second is refused, whatever the first really used.
    await setBudget({ teamTokens: used + worst });
    const first = await chat(body);
    expect(first.status).toBe(200);
    expect(first.headers.get(BUDGET_HEADER)).toMatch(/^100% of the monthly AI budget is used$/);
    const usedNow = Number((await counters(team.id))!.usedTokens);
    await setBudget({ teamTokens: usedNow + worst - 1 });
    expect((await chat(body)).status).toBe(429);
    await setBudget({ teamTokens: usedNow + worst });
    expect((await chat(body)).status).toBe(200);

    const memberUsed = Number((await counters(team.id, owner.id))!.usedTokens);
    await setBudget({ teamTokens: null, memberTokens: memberUsed + worst - 1 });
    const member = await chat(body);
    expect(member.status).toBe(429);
    expect(((await member.json()) as { error: { message: string } }).error.message).toMatch(/Your monthly AI budget in this team is spent/);
    await setBudget({});
  });

  it("releases the reservation of a stream its client abandons, charging what it could have used", async () => {
    const body = ask("small", "x", { max_tokens: 5 });
    const worst = await worstOf(body);
    const before = await counters(team.id);
    const gate = provider.hold();
    const response = await chat(body);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    gate.release();
    await waitFor(async () => (await counters(team.id))!.reservedTokens === 0n);
    const after = await counters(team.id);
    // OpenAI reports usage only at the end, which never came: the request is charged its bounds, never less than it used.
    expect(Number(after!.usedTokens - before!.usedTokens)).toBeGreaterThanOrEqual(INPUT_TOKENS + OUTPUT_TOKENS);
    expect(Number(after!.usedTokens - before!.usedTokens)).toBeLessThanOrEqual(worst);
  });

  it("charges an abandoned Anthropic stream its output cap, not the output message_start reports", async () => {
    const before = await counters(team.id);
    const gate = provider.hold();
    const response = await messages({ model: "claude/claude-x", max_tokens: 100, stream: true, messages: [{ role: "user", content: "x" }] });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    // message_start: the input, and the output so far (1), which the rest of the stream only adds to.
    await reader.read();
    await reader.cancel();
    // Settled as the gateway sees its client go, before the provider says more.
    await waitFor(async () => (await counters(team.id))!.reservedTokens === 0n);
    const after = await counters(team.id);
    gate.release();
    expect(Number(after!.usedTokens - (before?.usedTokens ?? 0n))).toBe(INPUT_TOKENS + 100);
  });

  it("charges a request its bounds when its client leaves before the provider's answer came", async () => {
    const body = ask("small", "x", { max_tokens: 5, stream: false });
    const before = await counters(team.id);
    const sent = provider.received.length;
    const gate = provider.hold();
    const leave = new AbortController();
    const pending = chat(body, {}, key, leave.signal).catch(() => null);
    // The provider has the request and works on it: it will bill for it, whoever is still listening.
    await waitFor(async () => provider.received.length > sent);
    leave.abort();
    await pending;
    // The gateway sees its client go and settles the reservation, while the provider still works on the answer.
    await waitFor(async () => (await counters(team.id))!.reservedTokens === 0n);
    const after = await counters(team.id);
    gate.release();
    expect(Number(after!.usedTokens - (before?.usedTokens ?? 0n))).toBeGreaterThanOrEqual(INPUT_TOKENS + OUTPUT_TOKENS);
    expect(await getDb().aiUsage.findFirst({ where: { teamId: team.id }, orderBy: { at: "desc" } })).toMatchObject({ provider: "primary", outcome: "aborted" });
  });

  it("reserves every choice a request asks for (OpenAI's n), so that none spends past the budget", async () => {
    const body = ask("small", "x", { max_tokens: 5, stream: false });
    const worst = await worstOf(body);
    const used = Number((await counters(team.id))!.usedTokens);
    // Room for one choice's worst case: twenty choices don't fit.
    await setBudget({ teamTokens: used + worst });
    const many = await chat({ ...body, n: 20 });
    await many.text();
    expect(many.status).toBe(429);
    expect(Number((await counters(team.id))!.usedTokens)).toBeLessThanOrEqual(used + worst);
    expect((await chat(body)).status).toBe(200);
    await setBudget({});
  });

  it("reserves as input everything of the request the provider may bill as input, its legacy functions too", async () => {
    // OpenAI bills the definitions of `functions` (tools' predecessor) as prompt tokens, as it does a response_format's schema.
    const schema = { type: "object", properties: Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`field${index}`, { type: "string", description: "a field of the answer" }])) };
    const billable = { functions: [{ name: "f", parameters: schema }], response_format: { type: "json_schema", json_schema: { name: "s", schema } } };
    expect(await worstOf(ask("small", "x", { max_tokens: 5, ...billable }))).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(billable)));
  });

  it("holds the team to its allow-list", async () => {
    await setBudget({ allowedModels: ["small"] });
    expect((await chat(ask("small"))).status).toBe(200);
    const denied = await chat(ask("large"));
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toMatch(/doesn't allow large/);
    const models = await fetch(`${base}/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await models.json()) as { data: { id: string }[] }).data.map((model) => model.id)).toEqual(["auto", "small"]);
    await setBudget({});
  });
});

describe("who pays", () => {
  it("charges a workspace's token to its own team, whatever team header it sends, and only while it runs", async () => {
    const template = await getDb().template.create({ data: { slug: "ai-template", name: "AI", tags: [] } });
    const version = await getDb().templateVersion.create({ data: { templateId: template.id, version: 1, spec: {} } });
    const workspace = await getDb().workspace.create({
      data: { name: "ai-ws", ownerId: owner.id, teamId: team.id, templateVersionId: version.id, parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} }, state: "RUNNING", startRequestedAt: new Date() },
    });
    const token = workspaceAiToken(workspace);
    const otherBefore = (await counters(other.id))?.usedTokens ?? 0n;
    const teamBefore = (await counters(team.id))!.usedTokens;
    const response = await chat(ask("small"), { "x-podspace-team": "ai-other" }, token);
    expect(response.status).toBe(200);
    await response.text();
    expect((await counters(team.id))!.usedTokens - teamBefore).toBe(BigInt(INPUT_TOKENS + OUTPUT_TOKENS));
    expect((await counters(other.id))?.usedTokens ?? 0n).toBe(otherBefore);
    expect(await getDb().aiUsage.findFirst({ where: { workspaceId: workspace.id } })).toMatchObject({ teamId: team.id, userId: owner.id });

    // Another workspace's id under this signature, or this one after a new start, is no key at all.
    const [, , signature] = token.split(".");
    expect((await chat(ask("small"), {}, `pdsai_${"x".repeat(25)}.${token.split(".")[1]}.${signature}`)).status).toBe(401);
    await getDb().workspace.update({ where: { id: workspace.id }, data: { startRequestedAt: new Date(Date.now() + 1000) } });
    expect((await chat(ask("small"), {}, token)).status).toBe(401);
    const renewed = workspaceAiToken((await getDb().workspace.findUniqueOrThrow({ where: { id: workspace.id } })));
    expect((await chat(ask("small", "x", { stream: false }), {}, renewed)).status).toBe(200);
    await getDb().workspace.update({ where: { id: workspace.id }, data: { state: "STOPPED" } });
    expect((await chat(ask("small"), {}, renewed)).status).toBe(401);
  });

  it("lets an API token spend only a team it is bound to, and only with the ai scope", async () => {
    const bound = await chat(ask("small"), { "x-podspace-team": "ai-other" });
    expect(bound.status).toBe(403);
    const unscoped = (await createApiToken(await actorFor(owner), { name: "read-only", days: 1, scopes: ["read"] })).token;
    expect((await chat(ask("small"), {}, unscoped)).status).toBe(403);
    const unbound = (await createApiToken(await actorFor(owner), { name: "any-team", days: 1, scopes: ["ai"] })).token;
    // Two teams: it must say which.
    expect((await chat(ask("small"), {}, unbound)).status).toBe(422);
    const otherBefore = (await counters(other.id))?.usedTokens ?? 0n;
    const response = await chat(ask("small"), { "x-podspace-team": "ai-other" }, unbound);
    expect(response.status).toBe(200);
    await response.text();
    expect((await counters(other.id))!.usedTokens - otherBefore).toBe(BigInt(INPUT_TOKENS + OUTPUT_TOKENS));
    expect((await chat(ask("small"), {}, "pds_nope")).status).toBe(401);
  });
});

/** A request's worst case: what it holds on the counters while the provider holds it. */
async function worstOf(body: object): Promise<number> {
  const gate = provider.hold();
  const reservedBefore = Number((await counters(team.id))?.reservedTokens ?? 0n);
  const pending = chat(body);
  let worst = 0;
  await waitFor(async () => (worst = Number((await counters(team.id))?.reservedTokens ?? 0n) - reservedBefore) > 0);
  gate.release();
  await (await pending).text();
  return worst;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
