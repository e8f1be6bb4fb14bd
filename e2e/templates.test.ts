import type { Page } from "playwright-core";
import { Client } from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "@/lib/db/client";
import { seedBuiltInTemplates } from "@/lib/templates/seed";
import { clickUntilShown } from "./browser";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";

// The template catalog in a browser: a member browses and sees the cost to
// their team; the platform admin edits a template (YAML errors point at
// their line) and archives it.

async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const cardNames = (page: Page) => page.getByRole("region", { name: "Templates" }).getByRole("heading", { level: 2 }).allTextContents();

describe("the template catalog", () => {
  const stack = usePodspaceStack();

  beforeAll(async () => {
    // server.ts may seed at startup too; seeding is idempotent either way.
    const db = createPrismaClient({ kind: "postgres", url: stack.database.url });
    try {
      await seedBuiltInTemplates(db);
    } finally {
      await db.$disconnect();
    }
  });

  it("lets a member browse, search and filter, and shows a template's cost against the team's quota", async () => {
    const page = await stack.browser.newPage();
    // The first person to sign in becomes platform admin: let that be Avery.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    const [team] = await query<{ id: string }>(stack.database.url, `SELECT id FROM "Team" WHERE slug = 'demo'`);
    await query(
      stack.database.url,
      `INSERT INTO "TeamQuota" (id, "teamId", scope, "cpuMillicores", "memoryMiB", "updatedAt") VALUES ('q-e2e', $1, 'LIMIT', 6000, 16384, now())`,
      [team!.id],
    );

    await page.goto(`${stack.podspace.url}/templates`);
    expect((await cardNames(page)).sort()).toEqual(["Go", "Node.js", "Python", "Universal"]);
    expect(await page.getByRole("link", { name: "New template" }).count()).toBe(0);

    await page.getByLabel("Search templates").fill("typescript");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/\/templates\?q=typescript/);
    expect(await cardNames(page)).toEqual(["Node.js"]);

    await page.goto(`${stack.podspace.url}/templates`);
    await page.getByRole("navigation", { name: "Filter by tag" }).getByRole("link", { name: "python", exact: true }).click();
    await page.waitForURL(/tag=python/);
    expect(await cardNames(page)).toEqual(["Python"]);

    await page.getByRole("link", { name: "Python", exact: true }).click();
    await page.waitForURL(/\/templates\/python$/);
    const main = page.getByRole("main");
    expect(await main.getByText("uses 2 of the 6 CPU cores your team has left").isVisible()).toBe(true);
    expect(await main.getByText("uses 4 of the 16 GiB of memory your team has left").isVisible()).toBe(true);
    expect(await main.getByText("mcr.microsoft.com/devcontainers/python:1-3.12-bookworm", { exact: true }).isVisible()).toBe(true);
    expect(await main.getByRole("cell", { name: /Create a virtual environment/ }).isVisible()).toBe(true);
    expect(await main.getByRole("link", { name: "Create workspace" }).getAttribute("href")).toBe("/workspaces/new?template=python");
    expect(await main.getByRole("link", { name: "Edit", exact: true }).count()).toBe(0);

    // The editor is out of reach for members.
    const response = await page.goto(`${stack.podspace.url}/templates/python/edit`);
    expect(response?.status()).toBe(404);
    await page.close();
  });

  it("lets the platform admin save a new version, with YAML errors shown at their line, and archive a template", async () => {
    const page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.goto(`${stack.podspace.url}/templates/go`);
    await page.getByRole("link", { name: "Edit", exact: true }).click();
    await page.waitForURL(/\/templates\/go\/edit$/);

    // An invalid default in the YAML view: the error names the field and its line.
    await page.getByRole("tab", { name: "YAML" }).click();
    const yaml = page.getByLabel("Template spec (YAML)");
    const text = await yaml.inputValue();
    await yaml.fill(text.replace(/(cpu:\n(?:\s+options:.*\n|\s+- .*\n)*?)(\s+)default: 2/, "$1$2default: 3"));
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByText(/resources\.cpu\.default \(line \d+\): must be one of the options/).waitFor();

    // Fixed in the form, which picks up the YAML as it is now.
    await page.getByRole("tab", { name: "Form" }).click();
    await page.getByRole("textbox", { name: "CPU Default" }).fill("4");
    await page.getByLabel("Name", { exact: true }).fill("Go (edited)");
    await page.getByLabel("What changed").fill("Four cores by default");
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.waitForURL(/\/templates\/go\?saved=2/);
    expect(await page.getByRole("status").filter({ hasText: "Saved as version 2." }).isVisible()).toBe(true);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Go (edited)");
    expect(await page.getByRole("cell", { name: "Four cores by default" }).isVisible()).toBe(true);

    const versions = await query<{ version: number; cpu: number }>(
      stack.database.url,
      `SELECT v.version, (v.spec->'resources'->'cpu'->>'default')::int AS cpu FROM "TemplateVersion" v JOIN "Template" t ON t.id = v."templateId" WHERE t.slug = 'go' ORDER BY v.version`,
    );
    expect(versions).toEqual([
      { version: 1, cpu: 2 },
      { version: 2, cpu: 4 },
    ]);

    const archive = page.getByRole("dialog").getByRole("button", { name: "Archive template" });
    await clickUntilShown(page.getByRole("button", { name: "Archive", exact: true }), archive);
    await archive.click();
    await page.getByRole("main").getByText("Archived", { exact: true }).first().waitFor();
    const audit = await query<{ action: string }>(stack.database.url, `SELECT action FROM "AuditLog" WHERE "targetType" = 'template' AND action <> 'template.created' ORDER BY "createdAt"`);
    expect(audit.map((row) => row.action)).toEqual(["template.version-created", "template.archived"]);

    // Members no longer find it.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await page.goto(`${stack.podspace.url}/templates`);
    expect((await cardNames(page)).sort()).toEqual(["Node.js", "Python", "Universal"]);
    expect((await page.goto(`${stack.podspace.url}/templates/go`))?.status()).toBe(404);

    // Until the platform admin makes Dana a template admin on Admin → Users.
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Avery Admin/ });
    await page.goto(`${stack.podspace.url}/admin/users`);
    const makeAdmin = page.getByRole("dialog").getByRole("button", { name: "Make template admin" });
    await clickUntilShown(page.getByRole("button", { name: "Make template admin: Dana Developer" }), makeAdmin);
    await makeAdmin.click();
    await page.getByRole("button", { name: "Remove template admin from Dana Developer" }).waitFor();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await page.goto(`${stack.podspace.url}/templates`);
    expect((await cardNames(page)).sort()).toEqual(["Go (edited)", "Node.js", "Python", "Universal"]);
    expect(await page.getByRole("link", { name: "New template" }).isVisible()).toBe(true);
    await page.close();
  });
});
