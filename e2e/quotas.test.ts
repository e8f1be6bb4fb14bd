import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { query } from "./database";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";

// Quotas through the browser: the platform admin sets a ceiling, the team
// admin lowers the CPU limit on the settings page, a member's start is
// refused naming the limit and the numbers, and the change is in the audit log.

const SPEC = {
  slug: "e2e-quota",
  name: "E2E Quota",
  image: "podspace/test:1",
  resources: { cpu: { default: 2, options: [1, 2] }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  ide: { command: ["true"], healthPath: "/healthz" },
};

describe("team quotas in the browser", () => {
  const stack = usePodspaceStack();

  beforeAll(async () => {
    const page = await stack.browser.newPage();
    // The first to sign in becomes a platform admin: Avery. Group sync puts all three in team demo.
    for (const account of [/Avery Admin/, /Lee Lead/, /Dana Developer/]) await signIn(page, stack.podspace.url, { provider: DEMO, account });
    await page.close();

    // Dana has a stopped 2-core workspace.
    const templateId = randomUUID();
    const versionId = randomUUID();
    await query(stack.database.url, `INSERT INTO "Template" (id, slug, name, tags, "updatedAt") VALUES ($1, $2, $3, '{}', now())`, [templateId, SPEC.slug, SPEC.name]);
    await query(stack.database.url, `INSERT INTO "TemplateVersion" (id, "templateId", version, spec) VALUES ($1, $2, 1, $3)`, [versionId, templateId, JSON.stringify(SPEC)]);
    await query(
      stack.database.url,
      `INSERT INTO "Workspace" (id, name, "ownerId", "teamId", "templateVersionId", parameters, state, "desiredState", "stoppedAt", "updatedAt")
       SELECT $1, 'e2e-box', u.id, t.id, $2, $3, 'STOPPED', 'STOPPED', now(), now() FROM "User" u, "Team" t WHERE u.email = 'dev@podspace.dev' AND t.slug = 'demo'`,
      [randomUUID().replaceAll("-", ""), versionId, JSON.stringify({ cpu: 2, memoryGiB: 1, diskGiB: 1, values: {} })],
    );
  });


  /** The field in the form titled `form`. */
  const field = (page: Page, form: string, label: string) => page.getByRole("form", { name: form }).getByLabel(label, { exact: true });
  /** The error FormField shows under the field (`<input id>-error`). */
  const fieldError = async (page: Page, form: string, label: string) => page.locator(`[id="${await field(page, form, label).getAttribute("id")}-error"]`);

  it("a team admin lowers the CPU limit within the platform's ceiling, and a member's start is refused naming it", async () => {
    const page = await stack.browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));

    // The platform admin caps the team at 4 cores.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.goto(`${stack.podspace.url}/teams/demo/settings/quotas`);
    await field(page, "Platform ceilings", "CPU (cores)").fill("4");
    await page.getByRole("button", { name: "Save ceilings" }).click();
    await page.getByRole("form", { name: "Platform ceilings" }).getByText("Saved the platform's ceilings for demo.").waitFor();

    // The team admin finds the page from the team's page.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    await page.goto(`${stack.podspace.url}/teams/demo`);
    await page.getByRole("link", { name: "Quotas" }).click();
    await page.waitForURL(/\/teams\/demo\/settings\/quotas$/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Quotas");
    // Admins can't set ceilings; the ceiling is shown next to the limit.
    expect(await page.getByRole("form", { name: "Platform ceilings" }).count()).toBe(0);
    expect(await page.getByText("Platform ceiling: 4 cores.").isVisible()).toBe(true);
    // Usage against the limits, with how each number is counted.
    const cpuRow = page.locator('tr[data-quota="cpuCores"]');
    expect(await cpuRow.locator("td").allTextContents()).toEqual([
      "CPU",
      "0 cores",
      "no limit",
      "4 cores",
      "4 cores",
      "The CPU cores of the running workspaces, as chosen when each was created.",
    ]);

    // Bad input is refused next to its field, and nothing is saved.
    const cpu = field(page, "Team limits", "CPU (cores)");
    await cpu.fill("-1");
    await page.getByRole("button", { name: "Save limits" }).click();
    await (await fieldError(page, "Team limits", "CPU (cores)")).getByText("Enter 0 or more CPU cores.").waitFor();
    expect(await cpu.getAttribute("aria-invalid")).toBe("true");
    await cpu.fill("8");
    await page.getByRole("button", { name: "Save limits" }).click();
    await (await fieldError(page, "Team limits", "CPU (cores)")).getByText("The platform allows at most 4 CPU cores.").waitFor();
    expect(await query(stack.database.url, `SELECT 1 FROM "TeamQuota" WHERE scope = 'LIMIT'`)).toEqual([]);

    // Within the ceiling it is saved, and enforced from now on.
    await cpu.fill("1");
    await page.getByRole("button", { name: "Save limits" }).click();
    await page.getByRole("form", { name: "Team limits" }).getByText("Saved demo's limits.").waitFor();
    await page.reload();
    expect(await cpuRow.locator("td").nth(4).textContent()).toBe("1 core");
    expect(await field(page, "Team limits", "CPU (cores)").inputValue()).toBe("1");

    // The member's start is refused with the limit and the numbers.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await page.goto(`${stack.podspace.url}/workspaces`);
    await page.getByRole("button", { name: "Start e2e-box" }).click();
    await page.getByText("Team demo would use 2 of 1 CPU cores.").first().waitFor();
    const [workspace] = await query<{ desiredState: string }>(stack.database.url, `SELECT "desiredState" FROM "Workspace" WHERE name = 'e2e-box'`);
    expect(workspace!.desiredState).toBe("STOPPED");

    // The catalog shows the same before any form is filled in.
    await page.goto(`${stack.podspace.url}/templates/${SPEC.slug}`);
    const main = page.getByRole("main");
    await main.getByText("A workspace with the default settings doesn't fit in demo's quota right now.").waitFor();
    expect(await main.getByText("needs 2 CPU cores, but your team has only 1 of its 1 left").isVisible()).toBe(true);
    expect(await main.getByText("your team has no monthly CPU budget").isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("shows owners the change in the audit log, before → after, filtered by action", async () => {
    const page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
    await page.waitForURL(/\/audit$/);
    await page.getByLabel("Action").selectOption("quota.limits-changed");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/action=quota\.limits-changed/);
    const rows = page.locator("tbody tr");
    expect(await rows.count()).toBe(1);
    const cells = await rows.first().locator("td").allTextContents();
    expect(cells.slice(1, 4)).toEqual(["Lee Lead", "quota.limits-changed", "demo"]);
    expect(cells[5]).toBe("cpuMillicores: none → 1000");

    // A date range with nothing in it, and a bad one explained next to its field.
    await page.goto(`${stack.podspace.url}/audit?from=2000-01-01&to=2000-01-02`);
    await page.getByText("Nothing audited matches these filters.").waitFor();
    await page.goto(`${stack.podspace.url}/audit?from=2030-01-02&to=2030-01-01`);
    await page.getByText("The start date is after the end date.").waitFor();

    // A member sees neither the link nor the page.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).count()).toBe(0);
    const response = await page.goto(`${stack.podspace.url}/audit`);
    expect(response!.status()).toBe(404);
  });

  it("warns of the monthly budget once on every page, the quotas page included", async () => {
    const page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Lee Lead/ });
    await page.goto(`${stack.podspace.url}/teams/demo/settings/quotas`);
    await field(page, "Team limits", "Monthly CPU budget (core-hours)").fill("1");
    await page.getByRole("button", { name: "Save limits" }).click();
    await page.getByRole("form", { name: "Team limits" }).getByText("Saved demo's limits.").waitFor();

    // 0.9 core-hours this month: 54 cores for the last minute but one (as the meter writes it).
    await query(
      stack.database.url,
      `INSERT INTO "UsageInterval" (id, kind, "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "startedAt", "endedAt", "rolledUpUntil")
       SELECT $1, 'COMPUTE', w.id, w."teamId", w."ownerId", v."templateId", 54000, now() AT TIME ZONE 'utc' - interval '2 minutes',
              now() AT TIME ZONE 'utc' - interval '1 minute', now() AT TIME ZONE 'utc' - interval '2 minutes'
       FROM "Workspace" w JOIN "TemplateVersion" v ON v.id = w."templateVersionId" WHERE w.name = 'e2e-box'`,
      [randomUUID()],
    );
    const warning = "demo has used 0.9 of its 1 CPU core-hours this month (90 %). At 100 % new workspaces won't start.";
    for (const path of ["/workspaces", "/teams/demo/settings/quotas"]) {
      await page.goto(`${stack.podspace.url}${path}`);
      await page.getByRole("alert").filter({ hasText: warning }).waitFor();
      expect(await page.locator("[data-budget]").count(), path).toBe(1);
    }
  });
});
