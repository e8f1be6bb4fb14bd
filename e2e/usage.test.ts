import fs from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { insertTemplate, query } from "./database";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { healthCheckTemplate } from "./ide-template";

// Usage end to end: a team member's workspace runs on the local runtime, is
// metered, rolled up by the leader's usage loop, shown on the team's usage
// page as a chart and a table, and exported as CSV for the same period.

const SPEC = healthCheckTemplate("e2e-usage", "E2E Usage", {
  resources: { cpu: { default: 2, options: [1, 2] }, memoryGiB: { default: 3, min: 1, max: 4 }, diskGiB: { default: 5, min: 1, max: 10 } },
});

describe("the usage dashboard", () => {
  const stack = usePodspaceStack();

  beforeAll(async () => {
    await insertTemplate(stack.database.url, SPEC);
    // The first user to sign in becomes a platform admin: let that be Avery, so Dana is a plain member.
    const page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.close();
  });

  it("meters a running workspace, charts it by day and exports the period as CSV", { timeout: 240_000 }, async () => {
    const page = await stack.browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });

    await page.goto(`${stack.podspace.url}/workspaces/new?template=e2e-usage`);
    await page.getByLabel("Name", { exact: true }).fill("usage-box");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(/\/workspaces\/(?!new)[^/?]+$/);
    const workspaceId = page.url().split("/").at(-1)!;
    await page.getByTestId("workspace-state").getByText("Running", { exact: true }).waitFor({ timeout: 60_000 });

    // Metered from the runtime's state: one open interval of each kind, with the workspace's resources.
    const open = await query<{ kind: string; cpuMillicores: number; memoryMiB: number; storageGiB: number }>(
      stack.database.url,
      `SELECT kind, "cpuMillicores", "memoryMiB", "storageGiB" FROM "UsageInterval" WHERE "workspaceId" = $1 AND "endedAt" IS NULL ORDER BY kind`,
      [workspaceId],
    );
    expect(open).toEqual([
      { kind: "COMPUTE", cpuMillicores: 2000, memoryMiB: 3072, storageGiB: 0 },
      { kind: "STORAGE", cpuMillicores: 0, memoryMiB: 0, storageGiB: 5 },
    ]);

    // The team page links to its usage.
    await page.goto(`${stack.podspace.url}/teams/demo`);
    await page.getByRole("navigation", { name: "Team" }).getByRole("link", { name: "Usage" }).click();
    await page.waitForURL(`${stack.podspace.url}/teams/demo/usage`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Usage");

    // The leader's usage loop rolls up once a minute: reload until today's running time shows.
    const today = new Date().toISOString().slice(0, 10);
    const table = page.getByRole("table", { name: "CPU core-hours by day" });
    const todayRow = table.getByRole("row").filter({ has: page.getByRole("cell", { name: today, exact: true }) });
    await expect
      .poll(
        async () => {
          await page.reload();
          return Number(await todayRow.getByRole("cell").last().textContent());
        },
        { timeout: 150_000, interval: 5_000 },
      )
      .toBeGreaterThan(0);

    // The chart stacks by user: Dana's series, with a bar for today, and the same series in the table.
    const chart = page.getByTestId("usage-chart");
    // It is drawn in the browser once the container is measured.
    await chart.locator(".recharts-bar-rectangle .recharts-rectangle").first().waitFor();
    expect(await chart.locator(".recharts-legend-item-text").allTextContents()).toEqual(["Dana Developer"]);
    expect(await table.getByRole("columnheader").allTextContents()).toEqual(["Day", "Dana Developer", "Total (core-h)"]);
    // Keyboard-readable: the chart takes focus, and the arrow keys bring up a day's numbers.
    await chart.locator('[tabindex="0"]').first().focus();
    await page.keyboard.press("ArrowRight");
    await chart.locator(".recharts-tooltip-wrapper").getByText(/core-h/).waitFor();
    // The figures and the top workspaces name the workspace and its usage.
    const top = page.getByRole("table", { name: "Top workspaces" });
    expect(await top.getByRole("row").nth(1).textContent()).toMatch(/^usage-box.*Dana Developer.*E2E Usage/);
    expect(await page.getByRole("meter", { name: "CPU" }).getAttribute("aria-valuenow")).toBe("2");
    // The metric toggle redraws the chart and table in another unit.
    await page.getByRole("group", { name: "Metric" }).getByRole("button", { name: "Storage GiB-days" }).click();
    await page.getByRole("table", { name: "Storage GiB-days by day" }).waitFor();

    // CSV for the same period: a row for today's usage of the workspace.
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Export CSV" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^podspace-usage-demo-\d{4}-\d{2}-01-to-\d{4}-\d{2}-\d{2}\.csv$/);
    const [header, ...rows] = (await fs.readFile((await file.path())!, "utf8")).trim().split("\n");
    expect(header).toBe("day,team,user,template,workspace,cpu_core_hours,memory_gib_hours,storage_gib_days,workspace_hours,sessions_ended");
    const row = rows.find((line) => line.startsWith(`${today},demo,dev@podspace.dev,e2e-usage,usage-box,`));
    expect(row).toBeDefined();
    const [, , , , , cpu, memory, storage, hours] = row!.split(",").map(Number);
    // 2 cores and 3 GiB for the same running time; 5 GiB of disk for at least that long.
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeCloseTo(hours! * 2, 3);
    expect(memory).toBeCloseTo(hours! * 3, 3);
    // The CSV rounds to 4 decimals: a GiB-day off by 0.00005 is 0.0012 GiB-hours.
    expect(storage! * 24).toBeGreaterThanOrEqual(hours! * 5 - 0.002);

    // Only platform admins export every team; nobody signed out exports anything.
    expect((await page.request.get(`${stack.podspace.url}/api/usage/export`)).status()).toBe(403);
    expect((await fetch(`${stack.podspace.url}/api/usage/export?team=demo`)).status).toBe(401);
    expect((await page.request.get(`${stack.podspace.url}/api/usage/export?team=demo&period=custom&from=2026-02-01&to=2026-01-01`)).status()).toBe(400);
    expect(errors.join("\n")).toBe("");
    await page.close();
  });
});
