import { spawn, type ChildProcess } from "node:child_process";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../test/helpers/net";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { launchBrowser } from "./browser";
import { query } from "./database";
import { podspaceUrl, startPodspace, type PodspaceProcess } from "./harness";
import { DEMO, signIn, signInError } from "./sign-in";

const STACK_TRACE = /\n\s+at \S+ \(|node_modules|Error: /;

describe("sign-in through the bundled demo identity provider", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let podspace: PodspaceProcess;
  let browser: BrowserContext;

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    [podspace, browser] = await Promise.all([startPodspace({ env: { DATABASE_URL: database.url } }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await podspace?.stop();
    await database?.drop();
  });

  it("completes the OIDC round trip and lands the user in the seeded team with their role", async () => {
    const page = await browser.newPage();
    await page.goto(podspace.url);
    await page.waitForURL(/\/login/);
    expect(await page.getByRole("button", { name: DEMO }).isVisible()).toBe(true);

    await signIn(page, podspace.url, { provider: DEMO, account: /Dana Developer/ });
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.getByRole("button", { name: "Account menu for Dana Developer" }).isVisible()).toBe(true);

    const [membership] = await query<{ slug: string; role: string; source: string }>(
      database.url,
      `SELECT t.slug, m.role, m.source FROM "Membership" m JOIN "Team" t ON t.id = m."teamId"
        JOIN "User" u ON u.id = m."userId" WHERE u.email = 'dev@podspace.dev'`,
    );
    expect(membership).toEqual({ slug: "demo", role: "MEMBER", source: "GROUP_SYNC" });
    const audit = await query<{ action: string }>(database.url, `SELECT action FROM "AuditLog" ORDER BY "createdAt"`);
    expect(audit.map((row) => row.action)).toContain("auth.sign-in");

    // The session the browser can read carries no session token.
    const session = await (await page.request.get(`${podspace.url}/api/auth/session`)).json();
    expect(session.user.email).toBe("dev@podspace.dev");
    expect(JSON.stringify(session)).not.toMatch(/sessionToken/);
    const cookie = (await browser.cookies(podspace.url)).find((c) => c.name === "authjs.session-token");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" });
    await page.close();
  });

  it("signs out, and the old session no longer works", async () => {
    const page = await browser.newPage();
    await signIn(page, podspace.url, { provider: DEMO, account: /Lee Lead/ });
    await page.getByRole("button", { name: "Account menu for Lee Lead" }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/);
    expect(await (await page.request.get(`${podspace.url}/api/auth/session`)).json()).toBeNull();
    await page.goto(podspace.url);
    await page.waitForURL(/\/login/);
    const actions = await query<{ action: string }>(database.url, `SELECT action FROM "AuditLog" WHERE action = 'auth.sign-out'`);
    expect(actions).toHaveLength(1);
    await page.close();
  });

  it("refuses a deactivated user's open session on the next request", async () => {
    const page = await browser.newPage();
    await signIn(page, podspace.url, { provider: DEMO, account: /Dana Developer/ });
    await page.goto(`${podspace.url}/teams`);
    expect(new URL(page.url()).pathname).toBe("/teams");

    await query(database.url, `UPDATE "User" SET "deactivatedAt" = now() WHERE email = 'dev@podspace.dev'`);
    await page.goto(`${podspace.url}/teams`);
    await page.waitForURL(/\/login/);

    // Signing in again is refused with a readable reason.
    await signIn(page, podspace.url, { provider: DEMO, account: /Dana Developer/ }).catch(() => {});
    await page.waitForURL(/\/login\?error=Deactivated/);
    expect(await signInError(page).textContent()).toMatch(/deactivated/i);
    await page.close();
  });

  it("treats a tampered session cookie as signed out, without an error page", async () => {
    const page = await browser.newPage();
    await page.context().addCookies([{ name: "authjs.session-token", value: "forged-token", url: podspace.url }]);
    const response = await page.goto(`${podspace.url}/teams`);
    await page.waitForURL(/\/login/);
    expect(response?.status()).toBe(200);
    expect(await page.content()).not.toMatch(STACK_TRACE);
    await page.context().clearCookies();
    await page.close();
  });

  it("rejects a callback with a wrong OIDC state with a clear message", async () => {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await page.goto(`${podspace.url}/api/auth/callback/demo?code=stolen&state=not-the-state`);
    await page.waitForURL(/\/login\?error=/);
    const alert = await signInError(page).textContent();
    expect(alert).toMatch(/did not match this sign-in attempt|could not be completed/);
    expect(await page.content()).not.toMatch(STACK_TRACE);
    await page.close();
  });
});

describe("sign-in through a company identity provider", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let podspace: PodspaceProcess;
  let browser: BrowserContext;
  let idp: ChildProcess;

  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"));
    const [idpPort, appPort, unreachablePort] = await Promise.all([freePort(), freePort(), freePort()]);
    idp = spawn("tsx", ["e2e/fixtures/company-idp.ts"], {
      env: { ...process.env, IDP_PORT: String(idpPort), IDP_REDIRECT_URI: `${podspaceUrl(appPort)}/api/auth/callback/corp` },
    });
    await new Promise<void>((resolve, reject) => {
      idp.stdout!.on("data", (chunk: Buffer) => String(chunk).includes("company idp ready") && resolve());
      idp.once("exit", (code) => reject(new Error(`company IdP exited with ${code}`)));
    });
    const providers = [
      { id: "corp", name: "Corp SSO", issuer: `http://localhost:${idpPort}/idp`, clientId: "podspace-at-corp", clientSecret: "corp-client-secret", scopes: "openid email profile groups" },
      { id: "down", name: "Backup SSO", issuer: `http://localhost:${unreachablePort}`, clientId: "x", clientSecret: "y" },
    ];
    [podspace, browser] = await Promise.all([
      startPodspace({
        env: {
          PORT: String(appPort),
          DATABASE_URL: database.url,
          PODSPACE_DEMO_IDP: "false",
          PODSPACE_OIDC_PROVIDERS: JSON.stringify(providers),
          PODSPACE_GROUPS_FILTER: "^eng-",
          PODSPACE_GROUP_MAPPING: JSON.stringify([
            { group: "eng-all", team: "engineering", role: "MEMBER" },
            { group: "eng-ml-admins", team: "ml", role: "ADMIN" },
            { group: "all-staff", team: "everyone", role: "MEMBER" },
          ]),
        },
      }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await podspace?.stop();
    idp?.kill();
    await database?.drop();
  });

  it("maps the groups claim to team memberships and roles", async () => {
    const page = await browser.newPage();
    await page.goto(`${podspace.url}/login`);
    expect(await page.getByRole("button", { name: DEMO }).count()).toBe(0);
    await signIn(page, podspace.url, { provider: /Corp SSO/, account: /Sam Rivera/ });
    expect(await page.getByRole("button", { name: "Account menu for Sam Rivera" }).isVisible()).toBe(true);

    const memberships = await query<{ slug: string; role: string; source: string }>(
      database.url,
      `SELECT t.slug, m.role, m.source FROM "Membership" m JOIN "Team" t ON t.id = m."teamId"
        JOIN "User" u ON u.id = m."userId" WHERE u.email = 'sam.rivera@corp.example' ORDER BY t.slug`,
    );
    // all-staff is outside PODSPACE_GROUPS_FILTER, so "everyone" is not joined.
    expect(memberships).toEqual([
      { slug: "engineering", role: "MEMBER", source: "GROUP_SYNC" },
      { slug: "ml", role: "ADMIN", source: "GROUP_SYNC" },
    ]);
    await page.close();
  });

  it("says so when an identity provider is unreachable", async () => {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await page.goto(`${podspace.url}/login`);
    await page.getByRole("button", { name: /Backup SSO/ }).click();
    await page.waitForURL(/\/login\?error=/);
    expect(await signInError(page).textContent()).toMatch(/unreachable|could not be reached/);
    expect(await page.content()).not.toMatch(STACK_TRACE);
    await page.close();
  });
});
