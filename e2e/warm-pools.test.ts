import { describe, expect, it } from "vitest";
import { DEMO, signIn } from "./sign-in";
import { usePodspaceStack } from "./stack";

// Sizing a team's warm pool on its settings page, as a team admin does it.
// What a pool does (claims, refills, quota) is test/workspaces/warm-pool.test.ts.

describe("warm pools on the team's settings", () => {
  const stack = usePodspaceStack();

  it("lets a team admin size a template's pool, and shows what it holds and how full it is", async () => {
    const page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery, so that Lee is a team admin only.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    await page.goto(`${stack.podspace.url}/teams/demo/settings`);
    const pools = page.getByRole("region", { name: "Warm pools" });
    const universal = pools.getByRole("form", { name: "Warm pool size for Universal" });
    expect(await universal.getByLabel("Workspaces kept warm").inputValue()).toBe("0");

    await universal.getByLabel("Workspaces kept warm").fill("1");
    await universal.getByRole("button", { name: "Save" }).click();
    await page.getByRole("list", { name: "Notifications" }).getByText("Saved. The pool fills up to 1 in the background.").waitFor();
    await page.reload();
    expect(await universal.getByLabel("Workspaces kept warm").inputValue()).toBe("1");
    const pool = pools.getByRole("listitem", { name: "Warm pool for Universal" });
    expect(await pool.getByText(/The pool holds .* of the team's quota all the time: about [\d.]+ core-hours a month\./).isVisible()).toBe(true);
    expect(await pool.getByText(/of 1 ready/).isVisible()).toBe(true);

    await universal.getByLabel("Workspaces kept warm").fill("101");
    await universal.getByRole("button", { name: "Save" }).click();
    await pool.getByText("Enter a whole number from 0 to 100.").waitFor();
  });
});
