import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { clickUntilShown, screenshot } from "./browser";
import { query, wakeReconciler } from "./database";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { HEALTH_CHECK_IDE } from "./ide-template";

// A workspace's whole life through the browser, on the local runtime: the
// template's IDE is a small Node server, so starting it really starts a process.


const SPEC = {
  slug: "e2e-ide",
  name: "E2E IDE",
  description: "A test IDE that answers health checks.",
  image: "podspace/test-ide:1",
  resources: {
    cpu: { default: 1, options: [1, 2] },
    memoryGiB: { default: 1, min: 1, max: 4 },
    diskGiB: { default: 1, min: 1, max: 10 },
  },
  parameters: [
    { name: "shell", label: "Shell", type: "string", options: ["bash", "zsh"], default: "bash" },
    { name: "dotfiles", label: "Install dotfiles", type: "boolean", default: true },
  ],
  startupScript: 'echo "started" >> startup.log',
  ide: HEALTH_CHECK_IDE,
};

/** Its IDE says why on stderr and exits at once, so every start fails. */
const BROKEN_SPEC = {
  ...SPEC,
  slug: "e2e-broken",
  name: "E2E Broken",
  description: "An IDE that exits at once.",
  parameters: [],
  ide: { command: [process.execPath, "-e", 'console.error("broken-ide: no config at ~/.broken"); process.exit(3)'], healthPath: "/healthz" },
};


describe("a workspace's life in the browser", () => {
  const stack = usePodspaceStack();

  beforeAll(async () => {
    for (const spec of [SPEC, BROKEN_SPEC]) {
      const templateId = randomUUID();
      await query(stack.database.url, `INSERT INTO "Template" (id, slug, name, description, tags, "updatedAt") VALUES ($1, $2, $3, $4, '{}', now())`, [
        templateId,
        spec.slug,
        spec.name,
        spec.description,
      ]);
      await query(stack.database.url, `INSERT INTO "TemplateVersion" (id, "templateId", version, spec) VALUES ($1, $2, 1, $3)`, [
        randomUUID(),
        templateId,
        JSON.stringify(spec),
      ]);
    }
    // The first user to sign in becomes a platform admin: let that be Avery, so Dana is a plain member.
    const page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.close();
  });
  /** Sets the demo team's CPU limit, in millicores. */
  async function setCpuQuota(millicores: number) {
    await query(
      stack.database.url,
      `INSERT INTO "TeamQuota" (id, "teamId", scope, "cpuMillicores", "updatedAt") SELECT $1, id, 'LIMIT', $2, now() FROM "Team" WHERE slug = 'demo'
        ON CONFLICT ("teamId", scope) DO UPDATE SET "cpuMillicores" = EXCLUDED."cpuMillicores"`,
      [randomUUID(), millicores],
    );
  }


  it("creates, starts live, stops and deletes a workspace", async () => {
    const page = await stack.browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await setCpuQuota(6000);

    // From the catalog: find the template, read it, create from it.
    await page.goto(`${stack.podspace.url}/templates`);
    await page.getByLabel("Search templates").fill("e2e");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/\/templates\?q=e2e/);
    await page.getByRole("link", { name: "E2E IDE", exact: true }).click();
    await page.waitForURL(/\/templates\/e2e-ide$/);
    await page.getByRole("main").getByRole("link", { name: "Create workspace" }).click();
    await page.waitForURL(/\/workspaces\/new\?template=e2e-ide$/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("New workspace");

    // The cost against the quota, before submitting, following the CPU choice.
    const preview = page.getByText(/CPU cores your team has left/);
    expect(await preview.textContent()).toBe("Uses 1 of the 6 CPU cores your team has left.");
    await page.getByLabel("CPU (cores)").selectOption("2");
    expect(await preview.textContent()).toBe("Uses 2 of the 6 CPU cores your team has left.");
    // Her selected team is chosen.
    expect(await page.getByLabel("Team", { exact: true }).locator("option:checked").textContent()).toMatch(/demo/i);

    // A name that isn't DNS-safe is refused next to the field.
    const name = page.getByLabel("Name", { exact: true });
    await name.fill("Bad_Name");
    await page.getByRole("button", { name: "Create workspace" }).click();
    const nameField = page.locator('[data-slot="form-field"]', { has: name });
    await nameField.getByText(/lowercase letters, digits and hyphens, starting with a letter and not ending/).waitFor();
    expect(await name.getAttribute("aria-invalid")).toBe("true");
    const describedBy = (await name.getAttribute("aria-describedby"))!.split(" ")[0]!;
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/Use up to 32 lowercase letters/);
    // What was chosen survives the round trip.
    expect(await page.getByLabel("CPU (cores)").inputValue()).toBe("2");
    expect(await name.inputValue()).toBe("Bad_Name");
    await screenshot(page, "1-create-error");

    // A good name creates it and opens its page, which follows the start live.
    await name.fill("e2e-box");
    await page.getByLabel("Shell").selectOption("zsh");
    const stream = page.waitForResponse((response) => /\/api\/workspaces\/[^/]+\/events/.test(response.url()));
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(/\/workspaces\/(?!new)[^/?]+$/);
    const workspaceUrl = page.url();
    const workspaceId = workspaceUrl.split("/").at(-1)!;
    expect((await stream).headers()["content-type"]).toMatch(/^text\/event-stream/);
    let navigations = 0;
    page.on("framenavigated", (frame) => frame === page.mainFrame() && navigations++);

    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("e2e-box");
    const state = page.getByTestId("workspace-state");
    await state.getByText("Running", { exact: true }).waitFor({ timeout: 60_000 });
    const steps = page.getByRole("list", { name: "Start progress" });
    // Running once the shell is; the IDE's ready follows, over the same stream.
    await expect.poll(() => steps.locator('[data-step="ready"]').getAttribute("data-status"), { timeout: 30_000 }).toBe("done");
    for (const step of ["volume", "scheduling", "image", "shell", "ide", "ready"]) {
      expect(await steps.locator(`[data-step="${step}"]`).getAttribute("data-status")).toBe("done");
    }
    expect(await steps.locator('[data-step="shell"]').textContent()).toMatch(/Shell ready/);
    expect(await steps.locator('[data-step="ready"]').textContent()).toMatch(/IDE ready/);
    expect(await steps.locator('[data-step="ready"]').textContent()).toMatch(/\d+(\.\d)? (ms|s)/);
    expect(await steps.locator('[data-step="ide"]').textContent()).toMatch(/IDE starting/);
    // All of that arrived over the stream: the page was never reloaded.
    expect(navigations).toBe(0);
    const events = page.getByRole("list", { name: "Workspace events" });
    expect(await events.textContent()).toMatch(/Created from E2E IDE v1/);
    expect(await page.getByText("2 CPU · 1 GiB RAM · 1 GiB disk").isVisible()).toBe(true);
    // The owner gets the terminal and IDE in the page.
    await page.getByRole("region", { name: "Workspace tools" }).getByRole("tablist", { name: "Terminals" }).waitFor();
    await screenshot(page, "2-running");

    // Restart: a new process, followed live.
    const log = page.getByRole("list", { name: "Workspace events" });
    await page.getByRole("button", { name: "Restart e2e-box" }).click();
    await log.getByText("Stopped for the restart").waitFor({ timeout: 30_000 });
    await state.getByText("Running", { exact: true }).waitFor({ timeout: 30_000 });

    // A new template version is offered as an update; taking it restarts the workspace on it.
    await query(
      stack.database.url,
      `INSERT INTO "TemplateVersion" (id, "templateId", version, spec) SELECT $1, id, 2, $2 FROM "Template" WHERE slug = 'e2e-ide'`,
      [randomUUID(), JSON.stringify({ ...SPEC, description: "Version 2." })],
    );
    await page.reload();
    await page.getByText("v2 available").waitFor();
    await clickUntilShown(page.getByRole("button", { name: "Update e2e-box to v2" }), page.getByRole("dialog").getByText(/restarts on the new version/));
    await page.getByRole("dialog").getByRole("button", { name: "Update" }).click();
    await log.getByText("Updated to E2E IDE v2").waitFor({ timeout: 30_000 });
    await expect.poll(() => log.getByText("Stopped for the restart").count(), { timeout: 30_000 }).toBe(2);
    await state.getByText("Running", { exact: true }).waitFor({ timeout: 30_000 });
    await page.reload();
    expect(await page.getByText("E2E IDE v2", { exact: true }).isVisible()).toBe(true);
    expect(await page.getByText("v2 available").count()).toBe(0);

    // Settings: out of range is refused at the field; a good change restarts it with the new size.
    await page.getByRole("button", { name: "Settings of e2e-box" }).click();
    const settings = page.getByRole("dialog");
    await settings.getByLabel("Memory (GiB)").fill("9");
    await settings.getByRole("button", { name: "Save and restart" }).click();
    await settings.getByText("Memory must be at most 4").waitFor();
    await settings.getByLabel("Memory (GiB)").fill("1");
    await settings.getByLabel("CPU (cores)").selectOption("1");
    await settings.getByRole("button", { name: "Save and restart" }).click();
    await log.getByText("Settings changed: CPU 2 → 1; restarting").waitFor({ timeout: 30_000 });
    await expect.poll(() => log.getByText("Stopped for the restart").count(), { timeout: 30_000 }).toBe(3);
    await state.getByText("Running", { exact: true }).waitFor({ timeout: 30_000 });
    expect(await page.getByText("1 CPU · 1 GiB RAM · 1 GiB disk").isVisible()).toBe(true);

    // The list shows it running, from the right template.
    await page.goto(`${stack.podspace.url}/workspaces`);
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "e2e-box" }) });
    expect(await row.textContent()).toMatch(/Running.*E2E IDE v2.*1 CPU/);
    await screenshot(page, "3-list");

    // Stop keeps it, and says so live.
    await page.goto(workspaceUrl);
    await page.getByRole("button", { name: "Stop e2e-box" }).click();
    await state.getByText("Stopped", { exact: true }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole("button", { name: "Start e2e-box" }).isVisible()).toBe(true);
    await screenshot(page, "4-stopped");
    // The page re-rendered after Stop; that must not have started it again.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await state.getByText("Stopped", { exact: true }).isVisible()).toBe(true);

    // Opened again, it stays stopped: its owner stopped it (to delete it, below, say). One stopped otherwise resumes (below).
    await page.goto(workspaceUrl);
    await page.getByRole("button", { name: "Start e2e-box" }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await state.getByText("Stopped", { exact: true }).isVisible()).toBe(true);
    expect(await page.getByText("Resuming this workspace…").count()).toBe(0);

    // Delete asks for the name first.
    await page.getByRole("button", { name: "Delete e2e-box" }).click();
    const dialog = page.getByRole("dialog");
    const confirm = dialog.getByRole("button", { name: "Delete workspace" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type e2e-box to confirm/).fill("e2e-bo");
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type e2e-box to confirm/).fill("e2e-box");
    await screenshot(page, "5-delete-dialog");
    await confirm.click();
    await page.waitForURL(`${stack.podspace.url}/workspaces`);
    // The list follows the deletion until the workspace is gone.
    await page.getByRole("heading", { name: "No workspaces yet" }).waitFor({ timeout: 30_000 });
    const [row2] = await query<{ state: string }>(stack.database.url, `SELECT state FROM "Workspace" WHERE id = $1`, [workspaceId]);
    expect(row2).toEqual({ state: "DELETED" });

    // Its page and stream are gone with it.
    expect((await page.goto(workspaceUrl))?.status()).toBe(404);
    const gone = await page.request.get(`${stack.podspace.url}/api/workspaces/${workspaceId}/events`);
    expect(gone.status()).toBe(404);
    expect(await gone.json()).toEqual({ error: "Workspace not found." });

    expect(errors.join("\n")).toBe("");
    await page.close();
  });

  it("refuses a workspace over the team's quota with an alert, and says why a start failed, with Retry", async () => {
    const page = await stack.browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    // A member sees only her own workspaces: no team view.
    await page.goto(`${stack.podspace.url}/workspaces`);
    expect(await page.getByRole("link", { name: /^Team / }).count()).toBe(0);

    await setCpuQuota(1000);
    await page.goto(`${stack.podspace.url}/workspaces/new?template=e2e-broken`);
    await page.getByLabel("CPU (cores)").selectOption("2");
    expect(await page.getByText(/^Needs 2 CPU cores/).textContent()).toBe("Needs 2 CPU cores, but demo has only 1 left.");
    await page.getByLabel("Name", { exact: true }).fill("broken-box");
    await page.getByRole("button", { name: "Create workspace" }).click();
    const alert = page.getByRole("main").getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Team demo would use 2 of 1 CPU cores\./);
    await screenshot(page, "6-quota-alert");

    // Within the quota it is created, and its start fails for a reason the page gives.
    await page.getByLabel("CPU (cores)").selectOption("1");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(/\/workspaces\/(?!new)[^/?]+$/);
    const state = page.getByTestId("workspace-state");
    await state.getByText("Failed", { exact: true }).waitFor({ timeout: 60_000 });
    const failure = page.getByRole("main").getByRole("alert").filter({ hasText: /crashed|runtime/ });
    await failure.waitFor();
    // It gives the reason and the failure's own words, as recorded.
    const [error] = await query<{ message: string; stateReason: string }>(
      stack.database.url,
      `SELECT e.message, w."stateReason" FROM "WorkspaceEvent" e JOIN "Workspace" w ON w.id = e."workspaceId"
        WHERE w.name = 'broken-box' AND e.level = 'ERROR' ORDER BY e."createdAt" DESC LIMIT 1`,
    );
    expect(error!.stateReason).toBe("crashed");
    // The sentence, then the tail of the IDE's output (when the runtime gave one) in a block of its own.
    const [sentence, ...tail] = error!.message.split("\n");
    expect(await failure.textContent()).toContain(sentence);
    const output = failure.getByLabel("Output");
    if (tail.join("").trim()) expect((await output.textContent())?.trim()).toBe(tail.join("\n").trim());
    else expect(await output.count()).toBe(0);
    expect(await page.getByRole("list", { name: "Start progress" }).locator('[data-status="failed"]').count()).toBe(1);
    await screenshot(page, "7-failed");

    // Retry starts it again, and it fails again, live.
    const log = page.getByRole("list", { name: "Workspace events" });
    const count = (selector: string) => () => log.locator(selector).count();
    const [starts, failures] = [await count('li:has-text("Starting")')(), await count('[data-level="error"]')()];
    await failure.getByRole("button", { name: "Retry" }).click();
    await expect.poll(count('li:has-text("Starting")'), { timeout: 30_000 }).toBeGreaterThan(starts);
    await expect.poll(count('[data-level="error"]'), { timeout: 60_000 }).toBeGreaterThan(failures);
    await state.getByText("Failed", { exact: true }).waitFor();
    expect(errors.join("\n")).toBe("");
    await page.close();
  });

  it("lets a team admin stop several of the team's workspaces at once", async () => {
    await setCpuQuota(6000);
    const page = await stack.browser.newPage();
    // Dana's workspaces, stopped by Avery, the demo team's owner.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    const [dana] = await query<{ id: string }>(stack.database.url, `SELECT id FROM "User" WHERE name = 'Dana Developer'`);
    const [version] = await query<{ id: string }>(
      stack.database.url,
      `SELECT v.id FROM "TemplateVersion" v JOIN "Template" t ON t.id = v."templateId" WHERE t.slug = 'e2e-ide' ORDER BY v.version DESC LIMIT 1`,
    );
    for (const name of ["bulk-1", "bulk-2"]) {
      const id = randomUUID();
      await query(
        stack.database.url,
        `INSERT INTO "Workspace" (id, name, "ownerId", "teamId", "templateVersionId", parameters, "updatedAt")
          SELECT $1, $2, $3, id, $4, '{"cpu":1,"memoryGiB":1,"diskGiB":1,"values":{}}', now() FROM "Team" WHERE slug = 'demo'`,
        [id, name, dana!.id, version!.id],
      );
      await wakeReconciler(stack.database.url, id);
    }
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.goto(`${stack.podspace.url}/workspaces?scope=team`);
    const rowOf = (name: string) => page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
    // The reconciler picks them up and starts them; the list follows.
    for (const name of ["bulk-1", "bulk-2"]) await rowOf(name).getByText("Running", { exact: true }).waitFor({ timeout: 60_000 });

    const stop = page.getByRole("button", { name: /^Stop (\d+ )?selected$/ });
    expect(await stop.isDisabled()).toBe(true);
    await page.getByLabel("Select bulk-1").check();
    await page.getByLabel("Select bulk-2").check();
    expect(await stop.textContent()).toBe("Stop 2 selected");
    await stop.click();
    // In list order, newest first.
    await page.locator('[data-slot="form-message"]').getByText("Stopping 2 workspaces: bulk-2, bulk-1.").waitFor();
    for (const name of ["bulk-1", "bulk-2"]) await rowOf(name).getByText("Stopped", { exact: true }).waitFor({ timeout: 30_000 });
    await screenshot(page, "8-bulk-stopped");

    // Opening one that someone else stopped resumes it for its owner, as Codespaces does.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    const [bulk1] = await query<{ id: string }>(stack.database.url, `SELECT id FROM "Workspace" WHERE name = 'bulk-1'`);
    await page.goto(`${stack.podspace.url}/workspaces/${bulk1!.id}`);
    await page.getByTestId("workspace-state").getByText("Running", { exact: true }).waitFor({ timeout: 30_000 });
    await page.close();
  });

  it("shows a team's workspaces a page at a time, and searches and filters them", async () => {
    // Sixty of Avery's, stopped, older than everything else in the team: a day old, a minute apart, paged-1 the newest.
    await query(
      stack.database.url,
      `INSERT INTO "Workspace" (id, name, "ownerId", "teamId", "templateVersionId", parameters, state, "desiredState", "createdAt", "updatedAt")
        SELECT 'paged' || n, 'paged-' || n, u.id, t.id, v.id, '{"cpu":1,"memoryGiB":1,"diskGiB":1,"values":{}}', 'STOPPED', 'STOPPED',
               now() - interval '1 day' - n * interval '1 minute', now()
        FROM generate_series(1, 60) AS n, "User" u, "Team" t, "TemplateVersion" v
        WHERE u.name = 'Avery Admin' AND t.slug = 'demo' AND v."templateId" = (SELECT id FROM "Template" WHERE slug = 'e2e-ide') AND v.version = 1`,
    );
    const [{ count }] = (await query<{ count: number }>(
      stack.database.url,
      `SELECT count(*)::int AS count FROM "Workspace" WHERE "teamId" = (SELECT id FROM "Team" WHERE slug = 'demo') AND state <> 'DELETED'`,
    )) as [{ count: number }];
    const page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.goto(`${stack.podspace.url}/workspaces?scope=team`);
    const names = () => page.getByRole("table", { name: "Workspaces" }).locator("tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-workspace")));
    const pages = page.getByRole("navigation", { name: "Pages" });

    // The first page: the newest fifty, how many there are in all, and no way to newer ones.
    const first = await names();
    expect(first).toHaveLength(50);
    expect(first.at(-1)).toBe(`paged-${50 - (count - 60)}`);
    expect(await pages.getByText(`${count} workspaces`, { exact: true }).isVisible()).toBe(true);
    expect(await pages.getByRole("link", { name: "Newer" }).count()).toBe(0);
    await screenshot(page, "9-team-pages");

    // Older: the rest, down to the oldest; Newer: the first page again.
    await pages.getByRole("link", { name: "Older" }).click();
    await page.waitForURL(/scope=team&cursor=/);
    await expect.poll(names).toEqual(Array.from({ length: count - 50 }, (_, n) => `paged-${n + 51 - (count - 60)}`));
    expect(await pages.getByRole("link", { name: "Older" }).count()).toBe(0);
    await pages.getByRole("link", { name: "Newer" }).click();
    await expect.poll(names).toEqual(first);

    // A search with a state filter: a URL of its own, on the team tab still.
    const search = page.getByRole("search", { name: "Search workspaces" });
    await search.getByLabel("Search", { exact: true }).fill("PAGED-1");
    await search.getByLabel("State").selectOption("stopped");
    await search.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/scope=team&q=PAGED-1&state=stopped/);
    await expect.poll(names).toEqual(["paged-1", ...Array.from({ length: 10 }, (_, n) => `paged-${n + 10}`)]);
    expect(await pages.getByText("11 workspaces match", { exact: true }).isVisible()).toBe(true);
    await search.getByLabel("State").selectOption("running");
    await search.getByRole("button", { name: "Search" }).click();
    await page.getByRole("heading", { name: "No workspaces match" }).waitFor();
    await page.getByRole("link", { name: "Clear the search" }).click();
    await page.waitForURL(/\/workspaces\?scope=team$/);
    await expect.poll(names).toEqual(first);
    await page.close();
  });

  it("answers the event stream with 401 without a session", async () => {
    const response = await fetch(`${stack.podspace.url}/api/workspaces/anything/events`);
    expect(response.status).toBe(401);
  });

  // Last: it stops the server.
  it("ends open event streams when the server shuts down, instead of holding up its exit", async () => {
    const [workspace] = await query<{ id: string }>(stack.database.url, `SELECT id FROM "Workspace" WHERE name = 'broken-box'`);
    const page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    const stream = page.waitForResponse((response) => response.url().includes(`/api/workspaces/${workspace!.id}/events`));
    await page.goto(`${stack.podspace.url}/workspaces/${workspace!.id}`);
    await stream;
    const { code, ms } = await stack.podspace.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
    await page.close();
  });
});
