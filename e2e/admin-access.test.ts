import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { clickUntilShown } from "./browser";
import { insertTemplate, query } from "./database";
import { DEMO, signIn } from "./sign-in";
import { usePodspaceStack } from "./stack";

// A platform admin's way into a member's workspace, through the browser: asked
// for with a reason on the workspace page, shown there to the owner, who ends it.

const REASON = "Dana asked for help with a build that hangs.";

/** The workspace is never started: its template need only be valid. */
const SPEC = {
  slug: "e2e-grant",
  name: "E2E grant",
  description: "",
  image: "podspace/test:1",
  resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  ide: { command: ["true"], healthPath: "/healthz" },
};

describe("admin access to a workspace", () => {
  const stack = usePodspaceStack();
  let workspaceId: string;
  let workspaceUrl: string;

  beforeAll(async () => {
    const page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery. Group sync puts Dana in team demo.
    for (const account of [/Avery Admin/, /Dana Developer/]) await signIn(page, stack.podspace.url, { provider: DEMO, account });
    await page.close();
    await insertTemplate(stack.database.url, SPEC);
    workspaceId = randomUUID();
    // Stopped, and meant to stay so: the reconciler leaves it alone.
    const inserted = await query(
      stack.database.url,
      `INSERT INTO "Workspace" (id, name, "ownerId", "teamId", "templateVersionId", parameters, state, "desiredState", "updatedAt")
        SELECT $1, 'danas-box', u.id, t.id, v.id, '{"cpu":1,"memoryGiB":1,"diskGiB":1,"values":{}}', 'STOPPED', 'STOPPED', now()
        FROM "User" u, "Team" t, "TemplateVersion" v JOIN "Template" tp ON tp.id = v."templateId"
        WHERE u.name = 'Dana Developer' AND t.slug = 'demo' AND tp.slug = 'e2e-grant' RETURNING id`,
      [workspaceId],
    );
    expect(inserted).toHaveLength(1);
    workspaceUrl = `${stack.podspace.url}/workspaces/${workspaceId}`;
  });

  it("takes a reason, opens the tools to the admin, and shows the owner who and why until they end it", async () => {
    const page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.goto(workspaceUrl);
    await page.getByText("Only the owner opens this workspace's terminal and IDE.").waitFor();
    const dialog = page.getByRole("dialog");
    await clickUntilShown(page.getByRole("button", { name: "Get admin access" }), dialog);
    await dialog.getByLabel("Why do you need access?").fill("too short");
    await dialog.getByRole("button", { name: "Get access" }).click();
    await dialog.getByText("Say why you need access, in at least 10 characters.").waitFor();
    await dialog.getByLabel("Why do you need access?").fill(REASON);
    await dialog.getByRole("button", { name: "Get access" }).click();
    await page.getByRole("region", { name: "Workspace tools" }).waitFor();
    // Opening it is not starting it: that is its owner's visit only.
    expect(await page.getByText("Resuming this workspace…").count()).toBe(0);
    expect(await query(stack.database.url, `SELECT "desiredState" FROM "Workspace" WHERE id = $1`, [workspaceId])).toEqual([{ desiredState: "STOPPED" }]);

    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await page.goto(workspaceUrl);
    const access = page.getByRole("region", { name: "Admin access" });
    await access.getByText(REASON, { exact: false }).waitFor();
    const endAccess = page.getByRole("dialog").getByRole("button", { name: "End access" });
    await clickUntilShown(access.getByRole("button", { name: "End Avery Admin's access" }), endAccess);
    await endAccess.click();
    await access.waitFor({ state: "detached" });
    await page.close();
  });
});
