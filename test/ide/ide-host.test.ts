import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { getDb } from "@/lib/db/client";
import { env, parseEnv } from "@/lib/env";
import { IDE_CHECK_PATH, IDE_SESSION_PATH } from "@/lib/ide/handoff";
import { openIdeCredential, sealIdeCredential } from "@/lib/ide/ide-credentials";
import { createIdeHost } from "@/lib/ide/ide-host";
import { useAppDatabase } from "../helpers/app-database";
import { httpRequest as request, websocketOutcome, type HttpReply } from "../helpers/net";
import { cookieFor, createPeople, ORIGIN, runningWorkspace, signIn, startHarness, type Harness, type People } from "../terminal/harness";

// The wildcard-host IDE mode against a stand-in IDE (test/fixtures/ide-ws-server.mjs)
// in a real local-runtime workspace: the handoff from Podspace's origin, the
// IDE origin's cookie, and HTTP and WebSocket at the root of <id>.ide.podspace.test.
// Requests go to 127.0.0.1 with the IDE host in their Host header, as an
// ingress would pass them on.

useAppDatabase();

const DOMAIN = "ide.podspace.test";

describe("IDE host settings", () => {
  const host = createIdeHost(`*.${DOMAIN}`, "https://podspace.example.com:8443");

  it("reads the workspace id from the Host header", () => {
    expect(host.workspaceIdOf(`cm9abc123.${DOMAIN}`)).toBe("cm9abc123");
    expect(host.workspaceIdOf(`CM9ABC123.${DOMAIN}:8443`)).toBe("cm9abc123");
    for (const other of [DOMAIN, `a.b.${DOMAIN}`, `x-y.${DOMAIN}`, `cm9.evil.test`, `cm9.${DOMAIN}.evil.test`, "podspace.example.com", undefined]) {
      expect(host.workspaceIdOf(other)).toBeNull();
    }
  });

  it("builds the IDE origin with Podspace's scheme and port", () => {
    expect(host.originOf("cm9abc123")).toBe(`https://cm9abc123.${DOMAIN}:8443`);
    expect(createIdeHost("*.ide.localhost", "http://localhost").originOf("w1")).toBe("http://w1.ide.localhost");
  });

  it("takes PODSPACE_IDE_HOST as a wildcard host, or same-origin", () => {
    expect(parseEnv({ PODSPACE_IDE_HOST: "*.IDE.Example.com" }).PODSPACE_IDE_HOST).toBe("*.ide.example.com");
    expect(parseEnv({ PODSPACE_IDE_HOST: "same-origin" }).PODSPACE_IDE_HOST).toBeNull();
    for (const bad of ["ide.example.com", "*.", "*.ex ample.com", "https://*.example.com", "*.-bad.example.com", "*.*.example.com", "same"]) {
      expect(() => parseEnv({ PODSPACE_IDE_HOST: bad }), bad).toThrow(/PODSPACE_IDE_HOST: expected a wildcard host such as \*\.ide\.podspace\.example\.com, or same-origin/);
    }
  });

  it("gives the IDE its own origins under Podspace's host unless told otherwise", () => {
    expect(parseEnv({}).PODSPACE_URL).toBe("http://podspace.localhost:3000");
    expect(parseEnv({}).PODSPACE_IDE_HOST).toBe("*.ide.podspace.localhost");
    expect(parseEnv({ PODSPACE_URL: "https://dev.corp.example/" }).PODSPACE_IDE_HOST).toBe("*.ide.dev.corp.example");
  });

  it("refuses a PODSPACE_URL whose host can't have IDE origins on its site, naming the ways out", () => {
    for (const url of ["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"]) {
      expect(() => parseEnv({ PODSPACE_URL: url }), url).toThrow(/PODSPACE_URL: .* use a name such as http:\/\/podspace\.localhost:3000 .* or to same-origin/);
      expect(parseEnv({ PODSPACE_URL: url, PODSPACE_IDE_HOST: "same-origin" }).PODSPACE_IDE_HOST).toBeNull();
    }
  });
});

describe("IDE credentials", () => {
  const origin = `http://w1.${DOMAIN}`;
  const inAMinute = () => new Date(Date.now() + 60_000);

  it("open only for their own kind and origin, unexpired and untampered", async () => {
    const ticket = await sealIdeCredential("ticket", "session-token", origin, inAMinute());
    expect(ticket).not.toContain("session-token");
    expect(await openIdeCredential("ticket", ticket, origin)).toBe("session-token");
    expect(await openIdeCredential("cookie", ticket, origin)).toBeNull();
    expect(await openIdeCredential("ticket", ticket, `http://w2.${DOMAIN}`)).toBeNull();
    // One character of the tag changed: to another than it was (a fixed replacement would leave it as is one time in 64).
    const tampered = `${ticket.slice(0, -3)}${ticket.at(-3) === "A" ? "B" : "A"}${ticket.slice(-2)}`;
    expect(await openIdeCredential("ticket", tampered, origin)).toBeNull();
    expect(await openIdeCredential("ticket", await sealIdeCredential("ticket", "t", origin, new Date(Date.now() - 1_000)), origin)).toBeNull();
    expect(await openIdeCredential("ticket", "not a credential", origin)).toBeNull();
  });

  it("a cookie opened once still opens only for its kind and origin, and not after it expires", async () => {
    const expiresAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2_000);
    const cookie = await sealIdeCredential("cookie", "session-token", origin, expiresAt);
    expect(await openIdeCredential("cookie", cookie, origin)).toBe("session-token");
    // Opened again from memory: the same answers as the first time.
    expect(await openIdeCredential("cookie", cookie, origin)).toBe("session-token");
    expect(await openIdeCredential("link", cookie, origin)).toBeNull();
    expect(await openIdeCredential("cookie", cookie, `http://w2.${DOMAIN}`)).toBeNull();
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(expiresAt.getTime() + 1_000);
      expect(await openIdeCredential("cookie", cookie, origin)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the IDE on its own host", { timeout: 60_000 }, () => {
  let harness: Harness;
  let people: People;
  let workspace: { id: string };
  let sessionCookie: string;
  const ideHost = createIdeHost(`*.${DOMAIN}`, env.PODSPACE_URL);
  const ideOrigin = () => ideHost.originOf(workspace.id);
  const hostHeader = () => new URL(ideOrigin()).host;
  /** A request to the workspace's IDE host. */
  const onIdeHost = (path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    request(`${harness.base}${path}`, { ...options, headers: { host: hostHeader(), ...options.headers } });

  /** The handoff page's form fields, as the browser would post them. */
  function formOf(page: HttpReply) {
    const field = (name: string) =>
      new RegExp(`name="${name}" value="([^"]*)"`).exec(page.body)?.[1]?.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
    return { action: /action="([^"]*)"/.exec(page.body)?.[1], ticket: field("ticket")!, path: field("path")! };
  }

  /** Signs `token`'s user in to the IDE host through the handoff; returns the IDE cookie ("name=value"). */
  async function ideCookieFor(token: string, path = "/"): Promise<string> {
    const page = await request(`${harness.base}/w/${workspace.id}/ide${path}`, { headers: { cookie: cookieFor(token) } });
    expect(page.status).toBe(200);
    const { ticket } = formOf(page);
    const accepted = await onIdeHost(IDE_SESSION_PATH, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ticket, path }).toString(),
    });
    expect(accepted.status).toBe(303);
    return String(accepted.headers["set-cookie"]?.[0]).split(";")[0]!;
  }

  beforeAll(async () => {
    harness = await startHarness({ revalidateIntervalMs: 300, ideHost });
    people = await createPeople("idehost");
    workspace = await runningWorkspace(harness, people, "idehost");
    sessionCookie = cookieFor(await signIn(people.owner));
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("hands a signed-in user over from /w/<id>/ide/… with a page that posts a ticket, never a URL that carries one", async () => {
    const page = await request(`${harness.base}/w/${workspace.id}/ide/src/app.ts?line=3`, { headers: { cookie: sessionCookie } });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.headers["referrer-policy"]).toBe("origin");
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain(`form-action ${ideOrigin()}`);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    const form = formOf(page);
    expect(form.action).toBe(`${ideOrigin()}${IDE_SESSION_PATH}`);
    expect(form.path).toBe("/src/app.ts?line=3");
    expect(form.ticket.split(".")).toHaveLength(5);
    expect(page.body).toMatch(/<form method="post"/);
  });

  it("doesn't serve the IDE on Podspace's origin: browsers without a session go to /login, strangers get 404, sockets 404", async () => {
    const anonymous = await request(`${harness.base}/w/${workspace.id}/ide/x`, { headers: { accept: "text/html" } });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe(`/login?callbackUrl=${encodeURIComponent(`/w/${workspace.id}/ide/x`)}`);
    const stranger = cookieFor(await signIn(people.stranger));
    expect((await request(`${harness.base}/w/${workspace.id}/ide/`, { headers: { cookie: stranger, accept: "text/html" } })).status).toBe(404);
    expect((await request(`${harness.base}/w/${workspace.id}/ide/upload`, { method: "POST", headers: { cookie: sessionCookie } })).status).toBe(404);
    expect(await websocketOutcome(`${harness.wsBase}/w/${workspace.id}/ide/socket`, { cookie: sessionCookie, origin: ORIGIN })).toBe(404);
  });

  it("accepts a ticket from Podspace's page only, sets a host-only httpOnly cookie and checks it stuck", async () => {
    const page = await request(`${harness.base}/w/${workspace.id}/ide/page?x=1`, { headers: { cookie: sessionCookie } });
    const { ticket, path } = formOf(page);
    const post = (origin: string, body = new URLSearchParams({ ticket, path }).toString()) =>
      onIdeHost(IDE_SESSION_PATH, { method: "POST", headers: { origin, "content-type": "application/x-www-form-urlencoded" }, body });

    expect((await post("https://evil.example")).status).toBe(403);
    expect((await post(ideOrigin())).status).toBe(403);
    expect((await post(ORIGIN, "x".repeat(20_000))).status).toBe(413);

    const accepted = await post(ORIGIN);
    expect(accepted.status).toBe(303);
    expect(accepted.headers.location).toBe(`${IDE_CHECK_PATH}?next=${encodeURIComponent("/page?x=1")}`);
    const [setCookie] = accepted.headers["set-cookie"] ?? [];
    // Plain http on a non-localhost name: SameSite=Lax, no Domain (host-only), no Secure.
    expect(setCookie).toMatch(/^podspace-ide=[\w.-]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    const cookie = setCookie!.split(";")[0]!;

    const checked = await onIdeHost(accepted.headers.location!, { headers: { cookie } });
    expect(checked.status).toBe(303);
    expect(checked.headers.location).toBe("/page?x=1");
    // A browser that dropped the cookie is told so instead of bouncing between the origins.
    const refused = await onIdeHost(accepted.headers.location!);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/did not keep the sign-in cookie/);
    // The next hop stays on this origin.
    // Browsers drop tabs and newlines in URLs: "/\t/evil.example" is //evil.example to them.
    for (const next of ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/", "https://evil.example/"]) {
      expect((await onIdeHost(`${IDE_CHECK_PATH}?next=${encodeURIComponent(next)}`, { headers: { cookie } })).headers.location).toBe("/");
    }
  });

  it("sends a stale or foreign ticket back to Podspace for a fresh one", async () => {
    const ticketFor = async (origin: string, expiresAt: Date) => sealIdeCredential("ticket", await signIn(people.owner), origin, expiresAt);
    for (const ticket of [
      await ticketFor(ideOrigin(), new Date(Date.now() - 1_000)),
      await ticketFor(ideHost.originOf("someotherworkspace"), new Date(Date.now() + 60_000)),
      "forged",
    ]) {
      const reply = await onIdeHost(IDE_SESSION_PATH, { method: "POST", headers: { origin: ORIGIN }, body: new URLSearchParams({ ticket, path: "/a" }).toString() });
      expect(reply.status).toBe(303);
      expect(reply.headers.location).toBe(`${env.PODSPACE_URL}/w/${workspace.id}/ide/a`);
      expect(reply.headers["set-cookie"]).toBeUndefined();
    }
  });

  it("proxies HTTP at the root of the IDE origin, keeping Podspace's cookies from the workspace", async () => {
    const cookie = await ideCookieFor(await signIn(people.owner));
    const root = await onIdeHost("/", { headers: { cookie } });
    expect(root.status).toBe(302);
    expect(root.headers.location).toMatch(/^\/\?folder=/);

    const reply = await onIdeHost("/some/page?x=1", { headers: { cookie: `theme=dark; ${cookie}; ${sessionCookie}` } });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-security-policy"]).toBe(`frame-ancestors 'self' ${ORIGIN}`);
    const echo = JSON.parse(reply.body) as { url: string; headers: Record<string, string> };
    expect(echo.url).toBe("/some/page?x=1");
    expect(echo.headers.cookie).toBe("theme=dark");
    expect(echo.headers["x-forwarded-prefix"]).toBeUndefined();
    expect(echo.headers.host).toBe(hostHeader());

    // The IDE's own redirects and cookies stay as they are: the origin is the workspace's alone.
    expect((await onIdeHost("/redirect", { headers: { cookie } })).headers.location).toBe("/login?from=ide");
    expect((await onIdeHost("/set-cookie", { headers: { cookie } })).headers["set-cookie"]).toEqual(["ide-session=abc; Path=/; HttpOnly", "plain=1; Path=/"]);
  });

  it("sends browsers without the IDE cookie to the handoff, and answers other clients 401; Podspace's session cookie counts for nothing here", async () => {
    const browser = await onIdeHost("/page?x=1", { headers: { accept: "text/html" } });
    expect(browser.status).toBe(303);
    expect(browser.headers.location).toBe(`${env.PODSPACE_URL}/w/${workspace.id}/ide/page?x=1`);
    expect((await onIdeHost("/page")).status).toBe(401);
    expect((await onIdeHost("/page", { headers: { cookie: sessionCookie } })).status).toBe(401);
    // One workspace's IDE cookie opens no other workspace's IDE.
    const other = await runningWorkspace(harness, people, "idehost-other");
    const cookie = await ideCookieFor(await signIn(people.owner));
    const elsewhere = await request(`${harness.base}/page`, { headers: { host: new URL(ideHost.originOf(other.id)).host, cookie } });
    expect(elsewhere.status).toBe(401);
  });

  it("doesn't count the IDE cookie on what another page sends with it, such as a workspace's app posting to its visitor's IDE", async () => {
    const cookie = await ideCookieFor(await signIn(people.owner));
    const aPortsPage = `http://p3000-cmotherworkspace1.preview.${DOMAIN}`;
    const fromElsewhere: Record<string, string>[] = [
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "cors", origin: aPortsPage },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "navigate", origin: aPortsPage },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "no-cors", referer: `${aPortsPage}/page` },
    ];
    for (const headers of fromElsewhere) {
      const reply = await onIdeHost("/proxy/8080/api", { method: headers["sec-fetch-mode"] === "navigate" ? "POST" : "GET", headers: { cookie, ...headers } });
      expect(reply.status, JSON.stringify(headers)).not.toBe(200);
      expect(reply.body, JSON.stringify(headers)).not.toContain('"url"');
    }
    // The IDE's own pages, and Podspace's page opening it in its frame.
    const ownPages: Record<string, string>[] = [
      { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "iframe" },
    ];
    for (const headers of ownPages) {
      const reply = await onIdeHost("/page", { headers: { cookie, ...headers } });
      expect(reply.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it("ends the IDE's access with the session: signing out, or losing access, is seen on the next request", async () => {
    const token = await signIn(people.owner);
    const cookie = await ideCookieFor(token);
    expect((await onIdeHost("/page", { headers: { cookie } })).status).toBe(200);
    await getDb().session.delete({ where: { sessionToken: token } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await onIdeHost("/page", { headers: { cookie } })).status).toBe(401);
  });

  it("relays WebSockets at the root for the IDE origin's own pages only, and closes them when the session ends", async () => {
    const token = await signIn(people.owner);
    const cookie = await ideCookieFor(token);
    const wsUrl = `${harness.wsBase}/stable-session?reconnection=false`;
    const headers = { host: hostHeader(), cookie };
    expect(await websocketOutcome(wsUrl, { ...headers, origin: ORIGIN })).toBe(403);
    expect(await websocketOutcome(wsUrl, { ...headers, origin: "https://evil.example" })).toBe(403);
    expect(await websocketOutcome(wsUrl, { host: hostHeader(), cookie: sessionCookie, origin: ideOrigin() })).toBe(401);

    const socket = new WebSocket(wsUrl, { headers, origin: ideOrigin() });
    const messages: string[] = [];
    socket.on("message", (data) => messages.push(String(data)));
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    await expect.poll(() => messages.length).toBeGreaterThan(0);
    const hello = JSON.parse(messages[0]!) as { url: string; headers: Record<string, string> };
    expect(hello.url).toBe("/stable-session?reconnection=false");
    expect(hello.headers.cookie).toBeUndefined();
    socket.send("echo me");
    await expect.poll(() => messages.at(-1)).toBe("echo me");

    const closed = new Promise<[number, string]>((resolve) => socket.once("close", (code, reason) => resolve([code, String(reason)])));
    await getDb().session.delete({ where: { sessionToken: token } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    socket.send("still there?");
    expect(await closed).toEqual([4401, "signed out"]);
  });

  it("answers a stranger 404 at the handoff and, with a ticket of their own, at the IDE host", async () => {
    const stranger = await signIn(people.stranger);
    expect((await request(`${harness.base}/w/${workspace.id}/ide/`, { headers: { cookie: cookieFor(stranger) } })).status).toBe(404);
    // A ticket the stranger could only forge: sealed for their session, it still opens nothing.
    const ticket = await sealIdeCredential("ticket", stranger, ideOrigin(), new Date(Date.now() + 60_000));
    const reply = await onIdeHost(IDE_SESSION_PATH, { method: "POST", headers: { origin: ORIGIN }, body: new URLSearchParams({ ticket }).toString() });
    expect(reply.status).toBe(404);
    expect(reply.headers["set-cookie"]).toBeUndefined();
  });
});
