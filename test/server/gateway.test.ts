import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { env } from "@/lib/env";
import { createIdeHost, type IdeHost } from "@/lib/ide/ide-host";
import type { IdeProxy } from "@/lib/ide/proxy";
import { createPreviewHost } from "@/lib/ports/preview-host";
import type { PortProxy } from "@/lib/ports/port-proxy";
import { createGateway, podspaceRoutes, type PodspaceServices } from "@/lib/server/gateway";
import { httpRequest, websocketOutcome } from "../helpers/net";

// Podspace's route table with stand-ins for what it routes to: which handler
// each request and upgrade reaches, the headers each route's responses
// carry, and the Origin each route's WebSockets must come from.

const PODSPACE = new URL(env.PODSPACE_URL).origin;

/** A stand-in IDE proxy that answers with which of its handlers ran. */
function ideStandIn(host: IdeHost | null): IdeProxy {
  return {
    host,
    servePath: (_request, response, params) => response.end(`ide path ${params.id}`),
    // Its own Referrer-Policy, as the handoff page sends one.
    serveHost: (request, response) => response.writeHead(200, { "referrer-policy": "origin" }).end(`ide host ${request.headers.host}`),
    pathSocket: async () => () => {},
    hostSocket: async () => () => {},
  };
}

/** A stand-in port proxy on *.preview.podspace.test that answers with which of its handlers ran. */
function portsStandIn(): PortProxy {
  return {
    host: createPreviewHost("*.preview.podspace.test", env.PODSPACE_URL),
    serveHost: (request, response) => response.end(`port host ${request.headers.host}`),
    hostSocket: async () => () => {},
    serveOpen: (_request, response, params) => response.end(`open ${params.id} ${params.port}`),
  };
}

describe("the gateway's route table", () => {
  let server: http.Server | undefined;

  async function start(services: Partial<PodspaceServices> = {}) {
    const gateway = createGateway(
      podspaceRoutes({
        ide: ideStandIn(null),
        ports: portsStandIn(),
        terminal: async () => () => {},
        apiExec: async () => () => {},
        apiTerminal: async () => () => {},
        apiPortForward: async () => () => {},
        identityProvider: { mountPath: "/oidc", handle: (_request, response) => response.end("identity provider") },
        next: {
          // Echoes the nonce Next.js would find on the request.
          handle: (request, response) => response.end(`next ${request.headers["x-nonce"]} ${request.headers["content-security-policy"]}`),
        },
        ...services,
      }),
    );
    server = http.createServer(gateway.handleRequest);
    server.on("upgrade", gateway.sockets.handleUpgrade);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return { gateway, base: `http://127.0.0.1:${port}`, wsBase: `ws://127.0.0.1:${port}` };
  }

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("sends each request to its route, with that route's headers", async () => {
    const { base } = await start();
    const ide = await httpRequest(`${base}/w/ws1/ide/static/app.js`);
    expect(ide.body).toBe("ide path ws1");
    // The IDE keeps its own CSP (the proxy adds frame-ancestors to it).
    expect(ide.headers["content-security-policy"]).toBeUndefined();
    expect(ide.headers["x-content-type-options"]).toBe("nosniff");

    const idp = await httpRequest(`${base}/oidc/.well-known/openid-configuration`);
    expect(idp.body).toBe("identity provider");
    expect(idp.headers["content-security-policy"]).toMatch(/^default-src 'none'; .*frame-ancestors 'none'/);

    // Off without PODSPACE_METRICS_TOKEN: 404, from the metrics route, not Next.js.
    const metrics = await httpRequest(`${base}/api/metrics`);
    expect([metrics.status, metrics.headers["content-security-policy"]]).toEqual([404, "default-src 'none'; frame-ancestors 'none'"]);

    for (const path of ["/login", "/w/ws1/idea", "/oidc", "/api/metrics/x"]) {
      const page = await httpRequest(`${base}${path}`);
      const [, nonce, requestPolicy] = /^next (\S+) (.*)$/.exec(page.body) ?? [];
      expect(page.headers["content-security-policy"], path).toContain(`'nonce-${nonce}'`);
      expect(requestPolicy, path).toBe(page.headers["content-security-policy"]);
    }
  });

  it("names the routes it serves itself for the metrics, and leaves Next.js's to its manifest", async () => {
    const { gateway } = await start({ ide: ideStandIn(createIdeHost("*.ide.podspace.test", env.PODSPACE_URL)) });
    const nameOf = (url: string, host = "localhost:3000") => gateway.nameOf({ url, headers: { host } } as http.IncomingMessage);
    expect(nameOf("/w/ws1/ide/")).toBe("/w/[id]/ide/*");
    expect(nameOf("/", "ws1.ide.podspace.test")).toBe("<ide host>/*");
    expect(nameOf("/oidc/auth?client_id=podspace")).toBe("/oidc/*");
    expect(nameOf("/api/metrics")).toBe("/api/metrics");
    expect(nameOf("/workspaces/ws1")).toBeUndefined();
  });

  it("takes WebSockets only where a route does, from the origin it names", async () => {
    const { wsBase } = await start();
    const terminal = `${wsBase}/api/workspaces/ws1/terminal`;
    expect(await websocketOutcome(terminal, { origin: PODSPACE })).toBe("open");
    expect(await websocketOutcome(terminal, { origin: "https://evil.example" })).toBe(403);
    expect(await websocketOutcome(terminal)).toBe(403);
    expect(await websocketOutcome(`${wsBase}/w/ws1/ide/socket`, { origin: PODSPACE })).toBe("open");
    expect(await websocketOutcome(`${wsBase}/w/ws1/ide/socket`, { origin: "https://evil.example" })).toBe(403);
    // Pages, the identity provider and, in production, /_next/ take none.
    for (const path of ["/login", "/oidc/auth", "/_next/webpack-hmr"]) expect(await websocketOutcome(`${wsBase}${path}`, { origin: PODSPACE }), path).toBe(404);
  });

  it("hands development's HMR socket to Next.js from any origin", async () => {
    const { wsBase } = await start({
      next: {
        handle: (_request, response) => response.end(),
        upgrade: (_request, socket) => socket.end("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n"),
      },
    });
    expect(await websocketOutcome(`${wsBase}/_next/webpack-hmr`, { origin: "http://127.0.0.1:3000" })).toBe(418);
    expect(await websocketOutcome(`${wsBase}/api/nope`, { origin: PODSPACE })).toBe(404);
  });

  it("gives a workspace's IDE host to the IDE, whose sockets come from its own origin only", async () => {
    const host = createIdeHost("*.ide.podspace.test", env.PODSPACE_URL);
    const { base, wsBase } = await start({ ide: ideStandIn(host) });
    const onHost = { host: `ws1.ide.podspace.test:${new URL(env.PODSPACE_URL).port}` };

    const reply = await httpRequest(`${base}/login`, { headers: onHost });
    expect(reply.body).toBe(`ide host ${onHost.host}`);
    // The handler's own header wins over the route's.
    expect(reply.headers["referrer-policy"]).toBe("origin");
    expect(reply.headers["x-content-type-options"]).toBe("nosniff");

    expect(await websocketOutcome(`${wsBase}/socket`, { ...onHost, origin: host.originOf("ws1") })).toBe("open");
    expect(await websocketOutcome(`${wsBase}/socket`, { ...onHost, origin: host.originOf("ws2") })).toBe(403);
    expect(await websocketOutcome(`${wsBase}/socket`, { ...onHost, origin: PODSPACE })).toBe(403);
    // On Podspace's origin the IDE path only hands over: no sockets there.
    expect(await websocketOutcome(`${wsBase}/w/ws1/ide/socket`, { origin: PODSPACE })).toBe(404);
    expect((await httpRequest(`${base}/w/ws1/ide/`)).body).toBe("ide path ws1");
  });

  it("gives a port's origin to the port proxy, whose sockets come from that origin only, and opens ports from Podspace's", async () => {
    const { base, wsBase, gateway } = await start();
    const ports = portsStandIn();
    const address = { workspaceId: "ws1", port: 5173 };
    const onHost = { host: `p5173-ws1.preview.podspace.test:${new URL(env.PODSPACE_URL).port}` };
    const reply = await httpRequest(`${base}/src/main.ts`, { headers: onHost });
    expect(reply.body).toBe(`port host ${onHost.host}`);
    expect(reply.headers["x-content-type-options"]).toBe("nosniff");
    // An app's page has no Podspace page policy imposed (its own stands), and no Podspace cookie.
    expect(reply.headers["content-security-policy"]).toBeUndefined();
    expect(reply.headers["set-cookie"]).toBeUndefined();
    expect(gateway.nameOf({ url: "/", headers: onHost } as http.IncomingMessage)).toBe("<preview host>/*");

    expect(await websocketOutcome(`${wsBase}/hmr`, { ...onHost, origin: ports.host.originOf(address) })).toBe("open");
    for (const origin of [ports.host.originOf({ ...address, port: 3000 }), PODSPACE, "https://evil.example"]) {
      expect(await websocketOutcome(`${wsBase}/hmr`, { ...onHost, origin }), origin).toBe(403);
    }
    expect((await httpRequest(`${base}/w/ws1/ports/5173/docs?x=1`)).body).toBe("open ws1 5173");
  });

  it("serves no port at all when preview URLs are turned off", async () => {
    const { base, gateway } = await start({ ports: null });
    const onHost = { host: `p5173-ws1.preview.podspace.test:${new URL(env.PODSPACE_URL).port}` };
    expect(gateway.nameOf({ url: "/", headers: onHost } as http.IncomingMessage)).not.toBe("<preview host>/*");
    expect((await httpRequest(`${base}/src/main.ts`, { headers: onHost })).body).not.toMatch(/^port host/);
    expect((await httpRequest(`${base}/w/ws1/ports/5173/`)).body).not.toMatch(/^open/);
  });

  it("sends a browser that opened plain localhost on to Podspace's .localhost name, and answers anything else there", async () => {
    expect(new URL(env.PODSPACE_URL).hostname).toBe("podspace.localhost");
    const { base } = await start();
    const habit = { host: "localhost:3000", accept: "text/html,application/xhtml+xml" };
    const navigation = await httpRequest(`${base}/workspaces?team=demo`, { headers: habit });
    expect([navigation.status, navigation.headers.location]).toEqual([308, `${env.PODSPACE_URL}/workspaces?team=demo`]);
    // A health check, a script's fetch and a form post keep their answers.
    for (const request of [{ headers: { host: "localhost:3000" } }, { method: "POST", headers: habit }]) {
      const reply = await httpRequest(`${base}/api/health`, request);
      expect([reply.status, reply.body.startsWith("next ")]).toEqual([200, true]);
    }
  });

  it("refuses a route that answers HTTP without headers, or takes WebSockets without an origin", () => {
    const handler = () => {};
    expect(() => createGateway([{ match: "/a", auth: "none", http: handler }])).toThrow(/\/a answers HTTP: declare its headers/);
    expect(() => createGateway([{ match: "/b", auth: "none", upgrade: async () => null }])).toThrow(/\/b takes WebSockets: declare their origin/);
  });
});
