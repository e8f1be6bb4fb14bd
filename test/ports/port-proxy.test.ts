import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { loadCurrentUser, type CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { env, parseEnv } from "@/lib/env";
import { IDE_SESSION_PATH } from "@/lib/ide/handoff";
import { sealIdeCredential } from "@/lib/ide/ide-credentials";
import { createPreviewHost } from "@/lib/ports/preview-host";
import { createPortLink, LINK_PATH, revokePortLink } from "@/lib/ports/port-links";
import { setPortShare, setTeamPortShareCap } from "@/lib/ports/share-port";
import { listWorkspacePorts } from "@/lib/ports/workspace-ports";
import type { TerminalSession } from "@/lib/runtime/types";
import { getAdminAccess } from "@/lib/workspaces/admin-access";
import { metrics } from "@/lib/observability/metrics";
import { useAppDatabase } from "../helpers/app-database";
import { sample } from "../helpers/metrics-text";
import { actorFor } from "../helpers/identity";
import { httpRequest as request, websocketOutcome, type HttpReply } from "../helpers/net";
import { cookieFor, IDE_WS_SERVER, createPeople, ORIGIN, runningWorkspace, signIn, startHarness, type Harness, type People } from "../terminal/harness";

// Preview URLs against real apps in a real local-runtime workspace: the
// stand-in IDE (test/fixtures/ide-ws-server.mjs, an HTTP and WebSocket echo
// on 127.0.0.1:13337 in the sandbox) and a second copy started from the
// workspace's terminal on [::1]:4000. Requests go to 127.0.0.1 with the
// port's host in their Host header, as an ingress would pass them on.

useAppDatabase();

const DOMAIN = "preview.podspace.test";
const APP_PORT = 13337;

interface Echo {
  url: string;
  headers: Record<string, string>;
}

describe("preview host settings", () => {
  const host = createPreviewHost(`*.${DOMAIN}`, "https://podspace.example.com:8443");

  it("reads the workspace and port from the Host header, and nothing else", () => {
    expect(host.addressOf(`p3000-cm9abc123.${DOMAIN}`)).toEqual({ workspaceId: "cm9abc123", port: 3000 });
    expect(host.addressOf(`P5173-CM9ABC123.${DOMAIN}:8443`)).toEqual({ workspaceId: "cm9abc123", port: 5173 });
    for (const other of [`cm9abc123.${DOMAIN}`, `p0-cm9.${DOMAIN}`, `p65536-cm9.${DOMAIN}`, `p03000-cm9.${DOMAIN}`, `p3000-cm9.x.${DOMAIN}`, `p3000-c_9.${DOMAIN}`, `p3000-cm9.evil.test`, undefined]) {
      expect(host.addressOf(other), other).toBeNull();
    }
  });

  it("builds each port's origin with Podspace's scheme and port, within DNS's 63-character label", () => {
    const cuid = "cmabcdefghijklmnopqrstuvw";
    expect(host.originOf({ workspaceId: cuid, port: 65535 })).toBe(`https://p65535-${cuid}.${DOMAIN}:8443`);
    expect(`p65535-${cuid}`.length).toBeLessThanOrEqual(63);
    expect(() => host.originOf({ workspaceId: "x".repeat(60), port: 3000 })).toThrow(/no preview origin/);
    expect(() => host.originOf({ workspaceId: "cm9", port: 0 })).toThrow(/no preview origin/);
  });

  it("defaults PODSPACE_PREVIEW_HOST to *.preview.<Podspace's host>, and checks one that is set", () => {
    expect(parseEnv({}).PODSPACE_PREVIEW_HOST).toBe("*.preview.podspace.localhost");
    expect(parseEnv({ PODSPACE_URL: "https://dev.corp.example" }).PODSPACE_PREVIEW_HOST).toBe("*.preview.dev.corp.example");
    expect(parseEnv({ PODSPACE_URL: "http://127.0.0.1:3000", PODSPACE_IDE_HOST: "same-origin" }).PODSPACE_PREVIEW_HOST).toBe("*.preview.localhost");
    expect(parseEnv({ PODSPACE_PREVIEW_HOST: "*.Apps.Example.net" }).PODSPACE_PREVIEW_HOST).toBe("*.apps.example.net");
    for (const bad of ["apps.example.net", "same-origin", "*.", "https://*.example.net"]) {
      expect(() => parseEnv({ PODSPACE_PREVIEW_HOST: bad }), bad).toThrow(/PODSPACE_PREVIEW_HOST: expected a wildcard host such as \*\.preview\.podspace\.example\.com, or off/);
    }
    // Turned off, for installs without wildcard DNS for them.
    expect(parseEnv({ PODSPACE_PREVIEW_HOST: "off" }).PODSPACE_PREVIEW_HOST).toBeNull();
  });
});

describe("the port proxy", { timeout: 60_000 }, () => {
  let harness: Harness;
  let people: People;
  let workspace: { id: string; spec: Parameters<Harness["runtime"]["attachTerminal"]>[0] };
  let sessionCookie: string;
  let terminal: TerminalSession;
  const previewHost = createPreviewHost(`*.${DOMAIN}`, env.PODSPACE_URL);
  const originOf = (port: number) => previewHost.originOf({ workspaceId: workspace.id, port });
  /** A request to a port's origin. */
  const onPort = (port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    request(`${harness.base}${path}`, { ...options, headers: { host: new URL(originOf(port)).host, ...options.headers } });

  function ticketOf(page: HttpReply) {
    return /name="ticket" value="([^"]*)"/.exec(page.body)![1]!;
  }

  /** Signs `token`'s user in to a port's origin the way a browser is: Podspace's page, then its ticket posted there. Returns the port cookie. */
  async function portCookieFor(token: string, port: number, path = "/"): Promise<string> {
    const page = await request(`${harness.base}/w/${workspace.id}/ports/${port}${path}`, { headers: { cookie: cookieFor(token) } });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`action="${originOf(port)}${IDE_SESSION_PATH}"`);
    const accepted = await onPort(port, IDE_SESSION_PATH, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ticket: ticketOf(page), path }).toString(),
    });
    expect(accepted.status).toBe(303);
    const [setCookie] = accepted.headers["set-cookie"] ?? [];
    // Host-only (no Domain), httpOnly, Lax, and short-lived.
    expect(setCookie).toMatch(/^podspace-port=[\w.-]+; Max-Age=(\d+); Path=\/; HttpOnly; SameSite=Lax$/);
    expect(Number(/Max-Age=(\d+)/.exec(setCookie!)![1])).toBeLessThanOrEqual(3600);
    return setCookie!.split(";")[0]!;
  }

  /** A port cookie as the handoff would mint it, for anyone: what a user with a cookie but without access sends. */
  const cookieOf = async (token: string, origin: string) => `podspace-port=${await sealIdeCredential("cookie", token, origin, new Date(Date.now() + 60_000))}`;

  beforeAll(async () => {
    harness = await startHarness({ revalidateIntervalMs: 300, previewHost });
    people = await createPeople("ports");
    workspace = await runningWorkspace(harness, people, "ports");
    sessionCookie = cookieFor(await signIn(people.owner));
    // A second app, started from the terminal like a developer's, on IPv6's loopback only.
    terminal = await harness.runtime.attachTerminal(workspace.spec, { cols: 120, rows: 30 });
    terminal.write(`${process.execPath} ${IDE_WS_SERVER} ::1 4000\n`);
  }, 60_000);
  afterAll(async () => {
    terminal?.close();
    await harness?.close();
  });

  it("sends a browser without the port's cookie through Podspace, and answers a script 401 JSON, never a redirect", async () => {
    const navigation = await onPort(APP_PORT, "/app?x=1", { headers: { "sec-fetch-mode": "navigate", accept: "text/html" } });
    expect(navigation.status).toBe(303);
    expect(navigation.headers.location).toBe(`${env.PODSPACE_URL}/w/${workspace.id}/ports/${APP_PORT}/app?x=1`);
    const scripts: Record<string, string>[] = [{ "sec-fetch-mode": "cors", accept: "*/*" }, { "sec-fetch-mode": "no-cors", accept: "text/html" }, { accept: "application/json" }];
    for (const headers of scripts) {
      const reply = await onPort(APP_PORT, "/api", { headers });
      expect(reply.status).toBe(401);
      expect(reply.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(reply.body)).toMatchObject({ error: expect.stringMatching(/Sign in/) });
    }
    const preflight = await onPort(APP_PORT, "/api", { method: "OPTIONS", headers: { origin: "https://elsewhere.example", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(401);
    expect(await websocketOutcome(`${harness.wsBase}/hmr`, { host: new URL(originOf(APP_PORT)).host, origin: originOf(APP_PORT) })).toBe(401);
  });

  it("opens a port from Podspace's origin for its owner only: /login without a session, 404 for others", async () => {
    const anonymous = await request(`${harness.base}/w/${workspace.id}/ports/${APP_PORT}/x`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe(`/login?callbackUrl=${encodeURIComponent(`/w/${workspace.id}/ports/${APP_PORT}/x`)}`);
    for (const user of [people.stranger, people.teamAdmin, people.platformAdmin]) {
      const other = cookieFor(await signIn(user));
      expect((await request(`${harness.base}/w/${workspace.id}/ports/${APP_PORT}/`, { headers: { cookie: other } })).status).toBe(404);
    }
    expect((await request(`${harness.base}/w/${workspace.id}/ports/99999/`, { headers: { cookie: sessionCookie } })).status).toBe(404);
  });

  it("proxies HTTP at the root of the port's origin, with Podspace's and the port's cookies kept from the app and from the browser", async () => {
    const cookie = await portCookieFor(await signIn(people.owner), APP_PORT);
    const reply = await onPort(APP_PORT, "/some/page?x=1", { headers: { cookie: `theme=dark; ${cookie}; ${sessionCookie}` } });
    expect(reply.status).toBe(200);
    const echo = JSON.parse(reply.body) as Echo;
    expect(echo.url).toBe("/some/page?x=1");
    expect(echo.headers.cookie).toBe("theme=dark");
    expect(echo.headers.host).toBe(new URL(originOf(APP_PORT)).host);
    // The app may set its own cookies on its origin, never ones named like Podspace's.
    const cookies = await onPort(APP_PORT, "/set-cookie", { headers: { cookie } });
    expect(cookies.headers["set-cookie"]).toEqual(["ide-session=abc; Path=/; HttpOnly", "plain=1; Path=/"]);
    // Podspace's session cookie alone is no way in.
    expect((await onPort(APP_PORT, "/x", { headers: { cookie: sessionCookie } })).status).toBe(401);
    // Nor is one port's cookie on another port's origin.
    expect((await onPort(4000, "/x", { headers: { cookie } })).status).toBe(401);
  });

  it("doesn't count the port's cookie on what another workspace's page sends with it, only on this workspace's own pages and on a user opening the port", async () => {
    const cookie = await portCookieFor(await signIn(people.owner), APP_PORT);
    const otherWorkspace = previewHost.originOf({ workspaceId: "cmotherworkspace1", port: 3000 });
    // As Chromium sends them: a script's fetch with credentials, a form posted (a navigation, but not a GET), an image.
    const fromOtherWorkspace: Record<string, string>[] = [
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "cors", origin: otherWorkspace },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "navigate", origin: otherWorkspace },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "no-cors", referer: `${otherWorkspace}/page` },
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors", origin: "https://elsewhere.example" },
    ];
    for (const headers of fromOtherWorkspace) {
      const reply = await onPort(APP_PORT, "/api", { method: headers["sec-fetch-mode"] === "navigate" ? "POST" : "GET", headers: { cookie, ...headers } });
      expect(reply.status, JSON.stringify(headers)).not.toBe(200);
      expect(reply.body, JSON.stringify(headers)).not.toContain('"url"');
    }
    // This workspace's other port (a frontend calling its API), the port's own pages, and the user opening the port from anywhere.
    const allowed: Record<string, string>[] = [
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "cors", origin: originOf(4000) },
      { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", origin: originOf(APP_PORT) },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "navigate", referer: `${otherWorkspace}/page` },
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
    ];
    for (const headers of allowed) {
      const reply = await onPort(APP_PORT, "/api", { headers: { cookie, ...headers } });
      expect(reply.status, JSON.stringify(headers)).toBe(200);
      expect((JSON.parse(reply.body) as Echo).url).toBe("/api");
    }
  });

  it("relays WebSockets from the port's own origin, both ways", async () => {
    const cookie = await portCookieFor(await signIn(people.owner), APP_PORT);
    const host = new URL(originOf(APP_PORT)).host;
    expect(await websocketOutcome(`${harness.wsBase}/hmr`, { host, cookie, origin: ORIGIN })).toBe(403);
    const socket = new WebSocket(`${harness.wsBase}/hmr?token=1`, { headers: { host, cookie: `${cookie}; a=b`, origin: originOf(APP_PORT) } });
    const messages: string[] = [];
    socket.on("message", (data) => messages.push(String(data)));
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    await expect.poll(() => messages.length).toBe(1);
    const hello = JSON.parse(messages[0]!) as { url: string; headers: Record<string, string> };
    expect(hello.url).toBe("/hmr?token=1");
    expect(hello.headers.cookie).toBe("a=b");
    socket.send("reload");
    await expect.poll(() => messages.at(-1)).toBe("reload");
    socket.close();
  });

  it("reaches an app listening on IPv6's loopback only, and says plainly when nothing listens on a port", async () => {
    const token = await signIn(people.owner);
    const cookie = await portCookieFor(token, 4000);
    await expect.poll(async () => (await onPort(4000, "/v6", { headers: { cookie } })).status, { timeout: 15_000 }).toBe(200);

    const closed = await portCookieFor(token, 4999);
    const reply = await onPort(4999, "/", { headers: { cookie: closed, accept: "text/html" } });
    expect(reply.status).toBe(502);
    expect(reply.headers["content-type"]).toMatch(/^text\/html/);
    expect(reply.body).toContain("Nothing is listening on port 4999 in ports");
    expect(await websocketOutcome(`${harness.wsBase}/hmr`, { host: new URL(originOf(4999)).host, cookie: closed, origin: originOf(4999) })).toBe(502);
    // Moments after a start a browser's page reloads instead, until the app (its startup script's, say) answers.
    await getDb().workspace.update({ where: { id: workspace.id }, data: { startedAt: new Date() } });
    const warmingUp = () => onPort(4999, "/", { headers: { cookie: closed, "sec-fetch-mode": "navigate" } });
    await expect.poll(async () => (await warmingUp()).headers.refresh).toBe("2");
    expect((await warmingUp()).body).toContain("Port 4999 in ports is not answering yet");
    await getDb().workspace.update({ where: { id: workspace.id }, data: { startedAt: null } });
  });

  it("lists what listens in the workspace, with its process, and the ports the template declares", async () => {
    const version = await getDb().templateVersion.findUniqueOrThrow({ where: { id: people.templateVersionId } });
    await getDb().templateVersion.update({
      where: { id: version.id },
      data: { spec: { ...(version.spec as object), ports: [{ port: 8080, label: "Docs" }, { port: 4000, label: "App", share: "team" }] } },
    });
    const owner = await loadCurrentUser(people.owner.id);
    await expect.poll(async () => (await listWorkspacePorts(owner!, workspace.id, { runtime: harness.runtime, previewHost }))?.find((row) => row.port === 4000)?.listening, { timeout: 15_000 }).toBe(true);
    const rows = await listWorkspacePorts(owner!, workspace.id, { runtime: harness.runtime, previewHost });
    expect(rows).toEqual([
      { port: 4000, process: "node ide-ws-server.mjs", label: "App", listening: true, url: `${originOf(4000)}/`, openPath: `/w/${workspace.id}/ports/4000/`, share: "team", shareCap: "public", links: [] },
      { port: 8080, process: null, label: "Docs", listening: false, url: `${originOf(8080)}/`, openPath: `/w/${workspace.id}/ports/8080/`, share: "owner", shareCap: "public", links: [] },
    ]);
    // The owner's links, newest first, never their secret; only the owner sees them, and the means to share.
    const older = await createPortLink(await actorFor(people.owner), { workspaceId: workspace.id, port: 8080, hours: 1 }, previewHost);
    const newer = await createPortLink(await actorFor(people.owner), { workspaceId: workspace.id, port: 8080, hours: 2 }, previewHost);
    const linksOf = async (user: CurrentUser) => (await listWorkspacePorts(user, workspace.id, { runtime: harness.runtime, previewHost }))?.find((row) => row.port === 8080)?.links;
    expect(await linksOf(owner!)).toEqual([newer, older].map((link) => ({ id: link.id, createdAt: expect.any(String), expiresAt: link.expiresAt.toISOString() })));
    await revokePortLink(await actorFor(people.owner), { linkId: older.id });
    await revokePortLink(await actorFor(people.owner), { linkId: newer.id });
    expect(await linksOf(owner!)).toEqual([]);
    const root = await actorFor(people.platformAdmin);
    await getAdminAccess(root, { workspaceId: workspace.id, reason: "checking what the ports list shows an admin" });
    expect(await linksOf(root)).toBeNull();
    await getDb().workspaceAccessGrant.deleteMany({ where: { workspaceId: workspace.id } });
    // The IDE's own port isn't an app's.
    expect(rows!.map((row) => row.port)).not.toContain(APP_PORT);
    // With preview URLs turned off, the same ports, without URLs or sharing; a link is refused with the way to reach a port.
    expect(await listWorkspacePorts(owner!, workspace.id, { runtime: harness.runtime, previewHost: null })).toEqual(
      rows!.map((row) => ({ ...row, url: null, openPath: null, links: null })),
    );
    await expect(createPortLink(await actorFor(people.owner), { workspaceId: workspace.id, port: 8080, hours: 1 }, null)).rejects.toThrow(/port-forward/);
    expect(await listWorkspacePorts((await loadCurrentUser(people.stranger.id))!, workspace.id, { runtime: harness.runtime, previewHost })).toBeNull();
  });

  it("opens a port to the team, to anyone signed in or to anyone, within the team's cap, each change audited", async () => {
    const owner = await actorFor(people.owner);
    const share = (level: "owner" | "team" | "authenticated" | "public") => setPortShare(owner, { workspaceId: workspace.id, port: APP_PORT, share: level });
    const statusFor = async (user: typeof people.owner) => (await onPort(APP_PORT, "/x", { headers: { cookie: await cookieOf(await signIn(user), originOf(APP_PORT)) } })).status;
    const eventually = (user: typeof people.owner, status: number) => expect.poll(() => statusFor(user), { timeout: 5_000 }).toBe(status);

    await share("team");
    // The handoff now signs the team's admin in; a stranger still isn't.
    await portCookieFor(await signIn(people.teamAdmin), APP_PORT);
    await eventually(people.teamAdmin, 200);
    await eventually(people.stranger, 404);
    await share("authenticated");
    await eventually(people.stranger, 200);

    // The team's admin caps the team at `team`: the port narrows with it, and can't be widened past it.
    await setTeamPortShareCap(await actorFor(people.teamAdmin), { teamId: people.teamId, maxShare: "team" });
    await eventually(people.stranger, 404);
    await expect(share("public")).rejects.toMatchObject({ code: "invalid" });
    await expect(setTeamPortShareCap(await actorFor(people.owner), { teamId: people.teamId, maxShare: "public" })).rejects.toMatchObject({ code: "forbidden" });
    await setTeamPortShareCap(await actorFor(people.teamAdmin), { teamId: people.teamId, maxShare: "public" });

    // Public: no sign-in at all, over HTTP and WebSocket, and Podspace's page sends the browser straight there.
    await share("public");
    const host = new URL(originOf(APP_PORT)).host;
    await expect.poll(async () => (await onPort(APP_PORT, "/", { headers: { accept: "text/html" } })).status, { timeout: 5_000 }).toBe(200);
    expect(await websocketOutcome(`${harness.wsBase}/hmr`, { host, origin: originOf(APP_PORT) })).toBe("open");
    const opened = await request(`${harness.base}/w/${workspace.id}/ports/${APP_PORT}/a?b=1`);
    expect([opened.status, opened.headers.location]).toEqual([303, `${originOf(APP_PORT)}/a?b=1`]);

    // Only the owner shares: the team's admin is told no, a stranger that there is no such workspace.
    await expect(setPortShare(await actorFor(people.teamAdmin), { workspaceId: workspace.id, port: APP_PORT, share: "owner" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(setPortShare(await actorFor(people.stranger), { workspaceId: workspace.id, port: APP_PORT, share: "owner" })).rejects.toMatchObject({ code: "not_found" });

    await share("owner");
    await eventually(people.stranger, 404);
    const audited = await getDb().auditLog.findMany({ where: { action: { in: ["workspace.port-shared", "team.port-share-capped"] } }, orderBy: { createdAt: "asc" } });
    expect(audited.map((entry) => [entry.action, entry.after])).toEqual([
      ["workspace.port-shared", { port: APP_PORT, share: "team" }],
      ["workspace.port-shared", { port: APP_PORT, share: "authenticated" }],
      ["team.port-share-capped", { maxShare: "team" }],
      ["team.port-share-capped", { maxShare: "public" }],
      ["workspace.port-shared", { port: APP_PORT, share: "public" }],
      ["workspace.port-shared", { port: APP_PORT, share: "owner" }],
    ]);
    expect(audited[0]!.before).toEqual({ port: APP_PORT, share: "owner" });
  });

  it("cuts a response that is still streaming once its user may no longer open the port", async () => {
    const owner = await actorFor(people.owner);
    await setPortShare(owner, { workspaceId: workspace.id, port: APP_PORT, share: "team" });
    try {
      const cookie = await portCookieFor(await signIn(people.teamAdmin), APP_PORT);
      await expect.poll(async () => (await onPort(APP_PORT, "/x", { headers: { cookie } })).status, { timeout: 5_000 }).toBe(200);
      const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(`${harness.base}/events`, { headers: { host: new URL(originOf(APP_PORT)).host, cookie } }, resolve).on("error", reject);
      });
      let received = "";
      stream.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
      const ended = new Promise((resolve) => stream.once("close", resolve));
      await expect.poll(() => received, { timeout: 5_000 }).toContain("data: tick");

      await setPortShare(owner, { workspaceId: workspace.id, port: APP_PORT, share: "owner" });
      // Rechecked every 300 ms here (5 s by default).
      await expect(Promise.race([ended.then(() => "cut"), new Promise((resolve) => setTimeout(() => resolve("still streaming"), 5_000))])).resolves.toBe("cut");
    } finally {
      await setPortShare(owner, { workspaceId: workspace.id, port: APP_PORT, share: "owner" });
    }
  });

  it("lets a signed link's holder in until the link expires or is revoked, which works at once", async () => {
    const since = new Date();
    const owner = await actorFor(people.owner);
    const link = await createPortLink(owner, { workspaceId: workspace.id, port: APP_PORT, hours: 1 }, previewHost);
    const url = new URL(link.url);
    expect(url.origin).toBe(originOf(APP_PORT));
    const opened = await onPort(APP_PORT, url.pathname);
    expect([opened.status, opened.headers.location]).toEqual([303, "/"]);
    const [setCookie] = opened.headers["set-cookie"] ?? [];
    expect(setCookie).toMatch(/^podspace-link=[\w.-]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    const cookie = `${setCookie!.split(";")[0]!}; theme=dark`;

    const reply = await onPort(APP_PORT, "/page", { headers: { cookie } });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as Echo).headers.cookie).toBe("theme=dark");
    expect(await websocketOutcome(`${harness.wsBase}/hmr`, { host: new URL(originOf(APP_PORT)).host, cookie, origin: originOf(APP_PORT) })).toBe("open");
    // Only for its own port.
    expect((await onPort(4000, "/page", { headers: { cookie } })).status).toBe(401);

    await revokePortLink(owner, { linkId: link.id });
    expect((await onPort(APP_PORT, "/page", { headers: { cookie } })).status).toBe(401);
    expect((await onPort(APP_PORT, url.pathname)).status).toBe(404);

    const expired = await createPortLink(owner, { workspaceId: workspace.id, port: APP_PORT }, previewHost);
    await getDb().portLink.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect((await onPort(APP_PORT, new URL(expired.url).pathname)).status).toBe(404);
    expect((await onPort(APP_PORT, `${LINK_PATH}forged`)).status).toBe(404);

    await expect(createPortLink(await actorFor(people.stranger), { workspaceId: workspace.id, port: APP_PORT }, previewHost)).rejects.toMatchObject({ code: "not_found" });
    await setTeamPortShareCap(await actorFor(people.teamAdmin), { teamId: people.teamId, maxShare: "authenticated" });
    await expect(createPortLink(owner, { workspaceId: workspace.id, port: APP_PORT }, previewHost)).rejects.toMatchObject({ code: "forbidden" });
    await setTeamPortShareCap(await actorFor(people.teamAdmin), { teamId: people.teamId, maxShare: "public" });

    const audited = await getDb().auditLog.findMany({
      where: { action: { in: ["workspace.port-link-created", "workspace.port-link-revoked"] }, createdAt: { gte: since } },
      orderBy: { createdAt: "asc" },
    });
    expect(audited.map((entry) => entry.action)).toEqual(["workspace.port-link-created", "workspace.port-link-revoked", "workspace.port-link-created"]);
    // Counted by how they got in: the link's request and its socket, the owner's and the public ones before.
    const counted = (share: string) => sample(metricsText, "podspace_port_requests_total", { share }) ?? 0;
    const metricsText = await metrics.registry.metrics();
    expect(counted("link")).toBe(2);
    expect(counted("owner")).toBeGreaterThan(0);
    expect(counted("public")).toBeGreaterThan(0);
  });

  it("narrows a port shared by an owner who left the team or was deactivated, as only they could narrow it", async () => {
    await setTeamPortShareCap(await actorFor(people.teamAdmin), { teamId: people.teamId, maxShare: "public" });
    await setPortShare(await actorFor(people.owner), { workspaceId: workspace.id, port: APP_PORT, share: "public" });
    const anyone = () => expect.poll(async () => (await onPort(APP_PORT, "/x", { headers: { accept: "application/json" } })).status, { timeout: 5_000 });
    await anyone().toBe(200);

    const membership = await getDb().membership.findFirstOrThrow({ where: { userId: people.owner.id, teamId: people.teamId } });
    await getDb().membership.delete({ where: { id: membership.id } });
    try {
      await anyone().toBe(401);
    } finally {
      await getDb().membership.create({ data: membership });
    }
    await anyone().toBe(200);

    await getDb().user.update({ where: { id: people.owner.id }, data: { deactivatedAt: new Date() } });
    try {
      await anyone().toBe(401);
    } finally {
      await getDb().user.update({ where: { id: people.owner.id }, data: { deactivatedAt: null } });
    }
    await setPortShare(await actorFor(people.owner), { workspaceId: workspace.id, port: APP_PORT, share: "owner" });
  });

  it("stops a signed link once its owner, the only one who could revoke it, leaves the team or is deactivated", async () => {
    const link = await createPortLink(await actorFor(people.owner), { workspaceId: workspace.id, port: APP_PORT, hours: 1 }, previewHost);
    const opened = await onPort(APP_PORT, new URL(link.url).pathname);
    const cookie = opened.headers["set-cookie"]![0]!.split(";")[0]!;
    expect((await onPort(APP_PORT, "/page", { headers: { cookie } })).status).toBe(200);

    const membership = await getDb().membership.findFirstOrThrow({ where: { userId: people.owner.id, teamId: people.teamId } });
    await getDb().membership.delete({ where: { id: membership.id } });
    try {
      expect((await onPort(APP_PORT, "/page", { headers: { cookie } })).status).toBe(401);
      expect((await onPort(APP_PORT, new URL(link.url).pathname)).status).toBe(404);
    } finally {
      await getDb().membership.create({ data: membership });
    }
    expect((await onPort(APP_PORT, "/page", { headers: { cookie } })).status).toBe(200);

    await getDb().user.update({ where: { id: people.owner.id }, data: { deactivatedAt: new Date() } });
    try {
      expect((await onPort(APP_PORT, "/page", { headers: { cookie } })).status).toBe(401);
    } finally {
      await getDb().user.update({ where: { id: people.owner.id }, data: { deactivatedAt: null } });
    }
    await revokePortLink(await actorFor(people.owner), { linkId: link.id });
  });

  it("answers 404 to a signed-in user without access, or for a workspace that isn't there, and 503 for a stopped one", async () => {
    const stranger = await cookieOf(await signIn(people.stranger), originOf(APP_PORT));
    expect((await onPort(APP_PORT, "/", { headers: { cookie: stranger } })).status).toBe(404);
    expect(await websocketOutcome(`${harness.wsBase}/hmr`, { host: new URL(originOf(APP_PORT)).host, cookie: stranger, origin: originOf(APP_PORT) })).toBe(404);
    const nowhere = previewHost.originOf({ workspaceId: "nosuchworkspace", port: APP_PORT });
    const reply = await request(`${harness.base}/`, { headers: { host: new URL(nowhere).host, cookie: await cookieOf(await signIn(people.owner), nowhere) } });
    expect(reply.status).toBe(404);

    const cookie = await portCookieFor(await signIn(people.owner), APP_PORT);
    await harness.runtime.stop(workspace.spec);
    const stopped = await onPort(APP_PORT, "/", { headers: { cookie } });
    expect(stopped.status).toBe(503);
    expect(stopped.body).toContain("is not running");
  });

  it("offers a stopped workspace's port to start it, to those who may: a click on its own origin starts it and follows it up", async () => {
    const owner = await actorFor(people.owner);
    const db = getDb();
    const stop = (data: object = {}) => db.workspace.update({ where: { id: workspace.id }, data: { state: "STOPPED", desiredState: "STOPPED", ...data } });
    await setPortShare(owner, { workspaceId: workspace.id, port: APP_PORT, share: "authenticated" });
    await stop();
    const navigating = { "sec-fetch-mode": "navigate", accept: "text/html" };
    const ownerCookie = await portCookieFor(await signIn(people.owner), APP_PORT);
    const wakeAt = (next: string) => `/__podspace/start?${new URLSearchParams({ next })}`;

    // Once the proxy's reuse of the running workspace's policy has run out (its few hundred milliseconds here).
    await expect.poll(async () => (await onPort(APP_PORT, "/app?x=1", { headers: { cookie: ownerCookie, ...navigating } })).body).toContain("Start ports");
    const offered = await onPort(APP_PORT, "/app?x=1", { headers: { cookie: ownerCookie, ...navigating } });
    expect(offered.status).toBe(503);
    expect(offered.body).toContain(`<form method="post" action="${wakeAt("/app?x=1").replaceAll("&", "&#38;")}"><button type="submit">Start ports</button></form>`);
    expect(offered.headers["content-security-policy"]).toMatch(/^default-src 'none'; style-src 'sha256-[\w+/]+=*'; form-action 'self'; base-uri 'none'$/);
    // A script hears why, in JSON; nothing on a GET starts anything.
    const script = await onPort(APP_PORT, "/api", { headers: { cookie: ownerCookie, "sec-fetch-mode": "cors" } });
    expect([script.status, JSON.parse(script.body)]).toEqual([503, { error: "Workspace ports is not running." }]);
    // Anyone signed in may open this port, but only who may operate the workspace gets the button, or may post it.
    const strangerCookie = await cookieOf(await signIn(people.stranger), originOf(APP_PORT));
    const told = await onPort(APP_PORT, "/", { headers: { cookie: strangerCookie, ...navigating } });
    expect(told.status).toBe(503);
    expect(told.body).toContain("Ask its owner to start it.");
    expect(told.body).not.toContain("<form");
    const origin = originOf(APP_PORT);
    expect((await onPort(APP_PORT, wakeAt("/"), { method: "POST", headers: { cookie: strangerCookie, origin } })).status).toBe(404);
    // Another site's form can't start it with the owner's cookie.
    expect((await onPort(APP_PORT, wakeAt("/"), { method: "POST", headers: { cookie: ownerCookie, origin: "https://elsewhere.example" } })).status).toBe(403);
    expect(await db.workspace.findUniqueOrThrow({ where: { id: workspace.id } })).toMatchObject({ desiredState: "STOPPED" });

    const since = new Date();
    const woken = await onPort(APP_PORT, wakeAt("/app?x=1"), { method: "POST", headers: { cookie: ownerCookie, origin } });
    expect([woken.status, woken.headers.location]).toEqual([303, "/app?x=1"]);
    expect(await db.workspace.findUniqueOrThrow({ where: { id: workspace.id } })).toMatchObject({ desiredState: "RUNNING" });
    expect(await db.auditLog.count({ where: { action: "workspace.start-requested", actorId: people.owner.id, createdAt: { gte: since } } })).toBe(1);
    expect(sample(await metrics.registry.metrics(), "podspace_port_wakes_total", {})).toBe(1);
    // On its way up the page reloads itself, seeing the workspace's state afresh each time.
    const starting = await onPort(APP_PORT, "/app?x=1", { headers: { cookie: ownerCookie, ...navigating } });
    expect([starting.status, starting.headers.refresh]).toEqual([503, "2"]);
    expect(starting.body).toContain("Starting ports…");

    // A failed start says why, and offers a retry; one being deleted can't be started, and says so.
    await db.workspace.update({ where: { id: workspace.id }, data: { state: "FAILED", stateReason: "the IDE exited with code 1" } });
    const failed = await onPort(APP_PORT, "/", { headers: { cookie: ownerCookie, ...navigating } });
    expect(failed.body).toContain("it failed (the IDE exited with code 1)");
    expect(failed.body).toContain(">Retry ports</button>");
    await stop({ desiredState: "DELETED" });
    const refused = await onPort(APP_PORT, wakeAt("/"), { method: "POST", headers: { cookie: ownerCookie, origin } });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain("This workspace is being deleted.");
    await stop();
  });
});
