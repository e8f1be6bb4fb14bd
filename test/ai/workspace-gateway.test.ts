import fs from "node:fs/promises";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAiConfig, type AiGatewayState } from "@/lib/ai/config";
import { createGatewayServer, listenOnSocket } from "@/lib/ai/gateway-server";
import { workspaceAiEnv } from "@/lib/ai/workspace-env";
import { getDb } from "@/lib/db/client";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import { AI_SOCKET } from "@/lib/runtime/local/sandbox";
import type { RuntimeEvent, WorkspaceRuntime, WorkspaceSpec } from "@/lib/runtime/types";
import { createTeamWith, createUser } from "../helpers/identity";
import { endLocalWorkspaces } from "../helpers/local-workspaces";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";
import { contractSpec, execCollecting, TEST_SHARED_PATHS, waitForIdeReady } from "../runtime/contract";
import { COMPLETION, INPUT_TOKENS, OUTPUT_TOKENS, startFakeProvider, type FakeProvider } from "./fake-provider";

// From inside a real sandboxed local workspace: the environment it is given
// (OPENAI_BASE_URL, ANTHROPIC_BASE_URL and its key) leads through the
// sandbox relay's loopback port and the gateway's socket to the gateway, and
// to nothing else of Podspace's.

usePostgresAppDatabase();

describe("the AI gateway from inside a local workspace", { timeout: 120_000 }, () => {
  let dataDir: string;
  let provider: FakeProvider;
  let gateway: http.Server;
  let runtime: WorkspaceRuntime;
  let spec: WorkspaceSpec;
  let workspaceId: string;
  const events: RuntimeEvent[] = [];

  beforeAll(async () => {
    provider = await startFakeProvider();
    const state: AiGatewayState = parseAiConfig(
      JSON.stringify({
        providers: [
          { id: "local", type: "openai", baseUrl: `${provider.url}/local`, models: [{ name: "coder-7b", inputPerMillion: 0, outputPerMillion: 0 }] },
          { id: "claude", type: "anthropic", baseUrl: `${provider.url}/claude`, models: [{ name: "claude-x", inputPerMillion: 3, outputPerMillion: 15 }] },
        ],
        aliases: { small: ["local/coder-7b"], medium: ["local/coder-7b"], large: ["claude/claude-x"] },
      }),
      "test",
    );
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-ai-ws-"));
    const aiSocketDir = path.join(dataDir, "ai");
    await fs.mkdir(aiSocketDir, { mode: 0o755 });

    const owner = await createUser("ws-ai@example.com");
    const team = await createTeamWith("ws-ai", [[owner, "MEMBER"]]);
    const template = await getDb().template.create({ data: { slug: "ws-ai", name: "AI", tags: [] } });
    const version = await getDb().templateVersion.create({ data: { templateId: template.id, version: 1, spec: {} } });
    const workspace = await getDb().workspace.create({
      data: { name: "ws-ai", ownerId: owner.id, teamId: team.id, templateVersionId: version.id, parameters: {}, state: "RUNNING", startRequestedAt: new Date() },
    });
    workspaceId = workspace.id;

    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS, aiSocketDir });
    runtime.watch((event) => events.push(event));
    spec = contractSpec("ai-gateway", workspaceAiEnv(workspace, state));
    await runtime.provision(spec);
    await runtime.start(spec);
    await waitForIdeReady(events, spec);
    // The gateway starts listening after the workspace started, as when it is turned on while workspaces run.
    gateway = createGatewayServer(state);
    await listenOnSocket(gateway, path.join(aiSocketDir, AI_SOCKET));
    // A sandbox and its IDE start in seconds, or in a minute on a loaded machine.
  }, 180_000);
  afterAll(async () => {
    await runtime?.close();
    await endLocalWorkspaces(dataDir);
    gateway?.closeAllConnections();
    gateway?.close();
    await provider?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const sh = async (script: string) => {
    const result = await execCollecting(runtime, spec, { command: ["/bin/sh", "-c", script] });
    expect(result.stderr).toBe("");
    return result.stdout;
  };

  it("streams a chat completion with curl, from the environment alone, and charges the workspace's team", async () => {
    const output = await sh(
      `curl -sN "$OPENAI_BASE_URL/chat/completions" -H "Authorization: Bearer $OPENAI_API_KEY" -H 'content-type: application/json' ` +
        `-d '{"model":"small","stream":true,"messages":[{"role":"user","content":"fix the comma"}]}'`,
    );
    const text = output
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => (JSON.parse(line.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe(COMPLETION.join(""));
    expect(await getDb().aiUsage.findFirst({ where: { workspaceId } })).toMatchObject({ provider: "local", model: "coder-7b", inputTokens: INPUT_TOKENS, outputTokens: OUTPUT_TOKENS });
  });

  it("answers Anthropic's Messages API at ANTHROPIC_BASE_URL with the same key", async () => {
    const output = await sh(
      `curl -s "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY" -H 'content-type: application/json' ` +
        `-d '{"model":"large","max_tokens":64,"messages":[{"role":"user","content":"design it"}]}'`,
    );
    expect(JSON.parse(output)).toMatchObject({ type: "message", model: "claude-x", usage: { input_tokens: INPUT_TOKENS, output_tokens: OUTPUT_TOKENS } });
  });

  it("reaches nothing but the gateway's routes, and nothing without the key", async () => {
    const status = (url: string, extra = "") => sh(`curl -s -o /dev/null -w '%{http_code}\\n' ${extra} "${url}"`);
    expect(await status("$ANTHROPIC_BASE_URL/api/v1/workspaces")).toBe("404\n");
    expect(await status("$ANTHROPIC_BASE_URL/api/auth/session")).toBe("404\n");
    expect(await status("$OPENAI_BASE_URL/chat/completions", "-X POST -d '{}'")).toBe("401\n");
  });
});
