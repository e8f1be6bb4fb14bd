import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INPUT_TOKENS, OUTPUT_TOKENS, startFakeProvider, type FakeProvider } from "../test/ai/fake-provider";
import { tokenFromPage } from "./api-tokens";
import { DEMO, signIn } from "./sign-in";
import { usePodspaceStack } from "./stack";

// The AI gateway in the built app: a team admin sets the team's budget on its
// Settings page, a token with the ai scope spends it through
// /api/ai/v1/chat/completions (a fake provider answers), a request whose
// worst case doesn't fit is refused, and the use shows on the Settings and
// Usage pages.

const configFile = path.join(os.tmpdir(), `podspace-e2e-ai-${process.pid}.json`);
let provider: FakeProvider;

// Before the stack's own beforeAll (hooks run in order): the server reads the file as it starts.
beforeAll(async () => {
  provider = await startFakeProvider();
  const model = { name: "coder", inputPerMillion: 1, outputPerMillion: 2 };
  await fs.writeFile(
    configFile,
    JSON.stringify({ providers: [{ id: "fake", type: "openai", baseUrl: `${provider.url}/fake`, models: [model] }], aliases: { small: ["fake/coder"], medium: ["fake/coder"], large: ["fake/coder"] } }),
  );
});
afterAll(async () => {
  await provider?.close();
  await fs.rm(configFile, { force: true });
});

describe("the AI gateway", () => {
  const stack = usePodspaceStack({ PODSPACE_AI_PROVIDERS_FILE: configFile });

  it("spends the budget a team admin sets, refuses past it, and shows the use", async () => {
    const page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery, so that Lee is a team admin only.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    await page.goto(`${stack.podspace.url}/teams/demo/settings`);
    const ai = page.getByRole("region", { name: "AI", exact: true });
    await ai.getByLabel("Team tokens a month").fill("1000");
    await ai.getByRole("button", { name: "Save" }).click();
    await ai.getByText("Saved. The AI budget applies from the next request.").waitFor();

    const token = await tokenFromPage(page, stack.podspace.url, "ai", ["ai"]);
    const chat = (body: object) =>
      fetch(`${stack.podspace.url}/api/ai/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "small", messages: [{ role: "user", content: "fix it" }], ...body }),
      });
    const streamed = await chat({ stream: true, max_tokens: 50 });
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toMatch(/data: \[DONE\]/);
    const refused = await chat({ max_tokens: 5000 });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/team's monthly AI budget is spent/);

    await page.goto(`${stack.podspace.url}/teams/demo/settings`);
    const used = INPUT_TOKENS + OUTPUT_TOKENS;
    await ai.getByText(`${used} of 1,000 (1 %) tokens`).first().waitFor();
    await page.goto(`${stack.podspace.url}/teams/demo/usage`);
    const usage = page.getByRole("region", { name: "AI", exact: true });
    await usage.getByText(`1 requests · ${INPUT_TOKENS} input and ${OUTPUT_TOKENS} output tokens`).waitFor();
    expect(await usage.getByRole("table", { name: "AI usage by model" }).getByText("fake/coder").isVisible()).toBe(true);
  });
});
