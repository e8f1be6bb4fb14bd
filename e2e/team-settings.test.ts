import { describe, expect, it } from "vitest";
import { DEMO, signIn } from "./sign-in";
import { usePodspaceStack } from "./stack";
import { screenshot } from "./browser";

// The team's settings under a platform that caps sharing below public
// (PODSPACE_PREVIEW_MAX_SHARE): a team admin is offered nothing wider and
// told why. What the team's own cap does to ports is e2e/preview-urls.test.ts.


describe("team settings under the platform's share cap", () => {
  const stack = usePodspaceStack({ PODSPACE_PREVIEW_MAX_SHARE: "authenticated" });

  it("offers a team admin the share levels within the platform's cap only, naming it", async () => {
    const page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery, so that Lee is a team admin only.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    await page.goto(`${stack.podspace.url}/teams/demo/settings`);
    const previewUrls = page.getByRole("region", { name: "Preview URLs" });
    const cap = previewUrls.getByLabel("Widest share level members may use");
    // The team's own cap is public (the default): what is in force is the platform's.
    expect(await cap.inputValue()).toBe("authenticated");
    expect(await cap.locator("option").allTextContents()).toEqual(["Each workspace's owner only", "Members of this team", "Anyone signed in to Podspace"]);
    expect(await previewUrls.getByText("The platform allows at most: Anyone signed in to Podspace, so wider levels aren't offered.").isVisible()).toBe(true);
    await screenshot(previewUrls, "team-port-share-cap-platform");

    await cap.selectOption("team");
    await previewUrls.getByRole("button", { name: "Save" }).click();
    await page.getByRole("list", { name: "Notifications" }).getByText("Saved. The team's ports may be shared at most with: Members of this team.").waitFor();
    await page.reload();
    expect(await cap.inputValue()).toBe("team");
  });
});
