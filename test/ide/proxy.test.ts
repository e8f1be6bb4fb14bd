import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { getDb } from "@/lib/db/client";
import { stripPodspaceCookies, scopeCookie } from "@/lib/ide/headers";
import { getAdminAccess } from "@/lib/workspaces/admin-access";
import { endAccess } from "@/lib/workspaces/end-access";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor } from "../helpers/identity";
import { httpRequest as request, websocketOutcome } from "../helpers/net";
import { cookieFor, createPeople, ORIGIN, runningWorkspace, signIn, startHarness, type Harness, type People } from "../terminal/harness";

// The IDE reverse proxy against a stand-in IDE (test/fixtures/ide-ws-server.mjs)
// in a real local-runtime workspace: HTTP and WebSocket through /w/<id>/ide/.

useAppDatabase();

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  cwd: string;
}

describe("the IDE reverse proxy", { timeout: 60_000 }, () => {
  let harness: Harness;
  let people: People;
  let workspace: { id: string };
  let cookie: string;
  const ide = (rest = "/") => `${harness.base}/w/${workspace.id}/ide${rest}`;
  const wsIde = (rest = "/") => `${harness.wsBase}/w/${workspace.id}/ide${rest}`;

  beforeAll(async () => {
    harness = await startHarness({ revalidateIntervalMs: 300 });
    people = await createPeople("ide");
    workspace = await runningWorkspace(harness, people, "ide");
    cookie = cookieFor(await signIn(people.owner));
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("proxies HTTP with the prefix stripped, Podspace's cookies removed and X-Forwarded-* set", async () => {
    const reply = await request(ide("/some/page?x=1&y=2"), {
      headers: {
        cookie: `theme=dark; ${cookie}; authjs.csrf-token=abc; __Secure-authjs.callback-url=x; _session=idp; _session.sig=idp; vscode-tkn=keep`,
        host: "podspace.test:8080",
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers["x-ide"]).toBe("test");
    const echo = JSON.parse(reply.body) as Echo;
    expect(echo.url).toBe("/some/page?x=1&y=2");
    expect(echo.headers.cookie).toBe("theme=dark; vscode-tkn=keep");
    expect(echo.headers.host).toBe("podspace.test:8080");
    expect(echo.headers["x-forwarded-host"]).toBe("podspace.test:8080");
    expect(echo.headers["x-forwarded-proto"]).toBe("http");
    expect(echo.headers["x-forwarded-prefix"]).toBe(`/w/${workspace.id}/ide`);
    expect(echo.headers["x-forwarded-for"]).toBe("127.0.0.1");
    // The test IDE runs in the workspace's home, /home/coder in its sandbox.
    expect(echo.cwd).toBe("/home/coder");
  });

  it("keeps a path that starts with // as a path", async () => {
    const echo = JSON.parse((await request(ide("//elsewhere.example/x?y=1"), { headers: { cookie } })).body) as Echo;
    expect(echo.url).toBe("//elsewhere.example/x?y=1");
  });

  it("sends no Cookie header at all when only Podspace's cookies were there", async () => {
    const echo = JSON.parse((await request(ide("/x"), { headers: { cookie } })).body) as Echo;
    expect(echo.headers.cookie).toBeUndefined();
  });

  it("streams request and response bodies", async () => {
    const posted = await request(ide("/upload"), { method: "POST", headers: { cookie, "content-type": "text/plain" }, body: "a".repeat(200_000) });
    expect((JSON.parse(posted.body) as Echo).body).toHaveLength(200_000);

    // The first chunk arrives while the IDE is still writing the response.
    const startedAt = Date.now();
    const firstChunkAfter = await new Promise<number>((resolve, reject) => {
      http
        .get(ide("/stream"), { headers: { cookie } }, (response) => {
          response.once("data", () => resolve(Date.now() - startedAt));
          response.resume();
        })
        .once("error", reject);
    });
    expect(firstChunkAfter).toBeLessThan(800);
  });

  it("keeps the IDE's cookies under the prefix and drops any named like Podspace's", async () => {
    const reply = await request(ide("/set-cookie"), { headers: { cookie } });
    expect(reply.headers["set-cookie"]).toEqual([`ide-session=abc; Path=/w/${workspace.id}/ide/; HttpOnly`, `plain=1; Path=/w/${workspace.id}/ide/`]);
  });

  it("keeps redirects under the prefix", async () => {
    const reply = await request(ide("/redirect"), { headers: { cookie } });
    expect(reply.status).toBe(302);
    expect(reply.headers.location).toBe(`/w/${workspace.id}/ide/login?from=ide`);
  });

  it("redirects /w/<id>/ide to /w/<id>/ide/ with 308, and / to the workspace's home folder", async () => {
    const bare = await request(`${harness.base}/w/${workspace.id}/ide?a=1`, { headers: { cookie } });
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe(`/w/${workspace.id}/ide/?a=1`);
    const root = await request(ide("/"), { headers: { cookie } });
    expect(root.status).toBe(302);
    const home = "/home/coder";
    expect(root.headers.location).toBe(`/w/${workspace.id}/ide/?folder=${encodeURIComponent(home)}`);
    const opened = await request(`${harness.base}${root.headers.location}`, { headers: { cookie } });
    expect((JSON.parse(opened.body) as Echo).url).toBe(`/?folder=${encodeURIComponent(home)}`);
  });

  it("sends browsers without a session to /login, and answers other clients 401", async () => {
    const browser = await request(ide("/page?x=1"), { headers: { accept: "text/html,application/xhtml+xml" } });
    expect(browser.status).toBe(303);
    expect(browser.headers.location).toBe(`/login?callbackUrl=${encodeURIComponent(`/w/${workspace.id}/ide/page?x=1`)}`);
    expect((await request(ide("/page"))).status).toBe(401);
    expect((await request(ide("/page"), { headers: { cookie: cookieFor("forged") } })).status).toBe(401);
  });

  it("doesn't count the session cookie on what another origin's page sends with it, only on the user opening the IDE", async () => {
    const aPortsPage = "http://p3000-cmotherworkspace1.preview.podspace.localhost:3000";
    for (const headers of [
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "cors", origin: aPortsPage },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "navigate", origin: aPortsPage },
    ]) {
      const reply = await request(ide("/page"), { method: headers["sec-fetch-mode"] === "navigate" ? "POST" : "GET", headers: { cookie, ...headers } });
      expect(reply.status, JSON.stringify(headers)).not.toBe(200);
    }
    expect((await request(ide("/page"), { headers: { cookie, "sec-fetch-site": "same-site", "sec-fetch-mode": "navigate" } })).status).toBe(200);
  });

  it("answers 404 to a stranger, to the team's admin and to a platform admin without an access grant, over HTTP and WebSocket", async () => {
    for (const user of [people.stranger, people.teamAdmin, people.platformAdmin]) {
      const other = cookieFor(await signIn(user));
      const reply = await request(ide("/page"), { headers: { cookie: other, accept: "text/html" } });
      expect(reply.status).toBe(404);
      expect(reply.body).not.toMatch(/test/);
      expect(await websocketOutcome(wsIde("/socket"), { cookie: other, origin: ORIGIN })).toBe(404);
    }
    expect((await request(`${harness.base}/w/nosuchworkspace/ide/`, { headers: { cookie } })).status).toBe(404);
  });

  it("lets a platform admin in over HTTP while their access grant is in force, and not after it ends", async () => {
    const admin = cookieFor(await signIn(people.platformAdmin));
    await getAdminAccess(await actorFor(people.platformAdmin), { workspaceId: workspace.id, reason: "Checking the IDE answers, as asked." });
    expect((await request(ide("/page"), { headers: { cookie: admin } })).status).toBe(200);
    const grant = await getDb().workspaceAccessGrant.findFirstOrThrow({ where: { workspaceId: workspace.id, userId: people.platformAdmin.id } });
    await endAccess(await actorFor(people.owner), { grantId: grant.id });
    // After the proxy's reuse of an authorization (300 ms here) runs out.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await request(ide("/page"), { headers: { cookie: admin } })).status).toBe(404);
  });

  it("serves none of a workspace's apps on Podspace's origin: code-server's /proxy/ and /absproxy/ answer 404, over HTTP and WebSocket", async () => {
    // What a workspace's process serves there would run as Podspace's origin.
    // Spelt as code-server's router would still take them: any case, doubled slashes, escapes.
    for (const rest of ["/proxy/8765/evil.html", "/absproxy/8765/evil.html", "/proxy/8765", "/PROXY/8765/evil.html", "/AbsProxy/8765/", "//proxy/8765/", "/%70roxy/8765/"]) {
      const reply = await request(ide(rest), { headers: { cookie, accept: "text/html" } });
      expect(reply.status).toBe(404);
      expect(reply.body).toMatch(/not served on Podspace's origin/);
      expect(await websocketOutcome(wsIde(rest), { cookie, origin: ORIGIN })).toBe(404);
    }
    // The IDE's own paths that merely start alike still reach it.
    expect((await request(ide("/proxyish"), { headers: { cookie } })).status).toBe(200);
  });

  it("leaves other paths to the next handler", async () => {
    const reply = await request(`${harness.base}/w/${workspace.id}/ideas`, { headers: { cookie } });
    expect(reply.body).toBe("not podspace");
  });

  it("relays WebSocket messages both ways, text and binary, past the router's 1 MiB limit", async () => {
    const socket = new WebSocket(wsIde("/stable-session?reconnection=false"), { headers: { cookie: `${cookie}; other=1` }, origin: ORIGIN });
    const messages: { data: Buffer; isBinary: boolean }[] = [];
    let wake = () => {};
    socket.on("message", (data, isBinary) => {
      messages.push({ data: data as Buffer, isBinary });
      wake();
    });
    const next = async () => {
      while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return messages.shift()!;
    };
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));

    const hello = JSON.parse(String((await next()).data)) as { url: string; headers: Record<string, string> };
    expect(hello.url).toBe("/stable-session?reconnection=false");
    expect(hello.headers.cookie).toBe("other=1");
    expect(hello.headers.origin).toBe(ORIGIN);
    expect(hello.headers["x-forwarded-prefix"]).toBe(`/w/${workspace.id}/ide`);

    socket.send("hello ide");
    expect(await next()).toEqual({ data: Buffer.from("hello ide"), isBinary: false });
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    socket.send(big);
    const echoed = await next();
    expect(echoed.isBinary).toBe(true);
    expect(echoed.data.equals(big)).toBe(true);

    const closed = new Promise<number>((resolve) => socket.once("close", resolve));
    socket.close(4321, "bye");
    expect(await closed).toBe(4321);
  });

  it("refuses IDE WebSockets from a foreign Origin with 403 and without a session with 401", async () => {
    expect(await websocketOutcome(wsIde("/socket"), { cookie, origin: "https://evil.example" })).toBe(403);
    expect(await websocketOutcome(wsIde("/socket"), { origin: ORIGIN })).toBe(401);
  });

  it("closes an IDE WebSocket with 4401 once its session is gone", async () => {
    const token = await signIn(people.owner);
    const socket = new WebSocket(wsIde("/socket"), { headers: { cookie: cookieFor(token) }, origin: ORIGIN });
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const closed = new Promise<[number, string]>((resolve) => socket.once("close", (code, reason) => resolve([code, String(reason)])));
    await getDb().session.delete({ where: { sessionToken: token } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    socket.send("are you there");
    expect(await closed).toEqual([4401, "signed out"]);
  });

  it("closes an IDE WebSocket with 4403, not as signed out, once its still signed-in user loses access", async () => {
    await getAdminAccess(await actorFor(people.platformAdmin), { workspaceId: workspace.id, reason: "Checking the IDE socket, as asked." });
    const socket = new WebSocket(wsIde("/socket"), { headers: { cookie: cookieFor(await signIn(people.platformAdmin)) }, origin: ORIGIN });
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const closed = new Promise<[number, string]>((resolve) => socket.once("close", (code, reason) => resolve([code, String(reason)])));
    const grant = await getDb().workspaceAccessGrant.findFirstOrThrow({ where: { workspaceId: workspace.id, userId: people.platformAdmin.id, revokedAt: null } });
    await endAccess(await actorFor(people.owner), { grantId: grant.id });
    expect(await closed).toEqual([4403, "no longer has access to this workspace"]);
  });

  it("answers 503 for a workspace that isn't running", async () => {
    const stopped = await runningWorkspace(harness, people, "ide-stopped");
    await harness.runtime.stop(stopped.spec);
    await getDb().workspace.update({ where: { id: stopped.id }, data: { state: "STOPPED" } });
    const reply = await request(`${harness.base}/w/${stopped.id}/ide/x`, { headers: { cookie } });
    expect(reply.status).toBe(503);
    expect(reply.body).toMatch(/not running/);
    expect(await websocketOutcome(`${harness.wsBase}/w/${stopped.id}/ide/socket`, { cookie, origin: ORIGIN })).toBe(503);
  });
});

describe("IDE proxy header rules", () => {
  it("strips every Auth.js cookie and nothing else", () => {
    expect(stripPodspaceCookies("a=1; authjs.session-token=t; __Secure-authjs.session-token=t; __Host-authjs.csrf-token=c; authjsx=2")).toBe(
      "a=1; authjsx=2",
    );
    expect(stripPodspaceCookies("authjs.session-token=t")).toBeUndefined();
    expect(stripPodspaceCookies(undefined)).toBeUndefined();
    // The bundled demo identity provider's session (it runs in tests, as no company IdP is configured).
    expect(stripPodspaceCookies("_session=s; _session.sig=t; _interaction=i; my_session=keep")).toBe("my_session=keep");
  });

  it("scopes cookie paths under the prefix", () => {
    expect(scopeCookie("a=1; Path=/; Secure", "/w/x/ide")).toBe("a=1; Path=/w/x/ide/; Secure");
    expect(scopeCookie("a=1; path=/static", "/w/x/ide")).toBe("a=1; Path=/w/x/ide/static");
    expect(scopeCookie("a=1", "/w/x/ide")).toBe("a=1; Path=/w/x/ide/");
  });
});
