import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { env } from "@/lib/env";
import { WebSocketRouter } from "@/lib/server/websocket-router";
import { websocketOutcome } from "../helpers/net";

const any = { origin: "any" } as const;

describe("WebSocketRouter", () => {
  let server: http.Server;
  let router: WebSocketRouter;
  let base: string;

  beforeEach(async () => {
    router = new WebSocketRouter();
    server = http.createServer((_request, response) => response.end("http"));
    server.on("upgrade", router.handleUpgrade);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    router.terminateAll();
    await new Promise((resolve) => server.close(resolve));
  });

  it("hands a matching upgrade to its route with the path parameters", async () => {
    router.route(
      "/api/workspaces/:id/terminal",
      async (_request, params) => (socket) => {
        socket.send(`hello ${params.id}`);
      },
      any,
    );
    const socket = new WebSocket(`${base}/api/workspaces/ws-42/terminal?tab=1`);
    const message = await new Promise<string>((resolve) => socket.once("message", (data) => resolve(String(data))));
    expect(message).toBe("hello ws-42");
    socket.close();
  });

  it("refuses unknown paths with 404 before upgrading", async () => {
    router.route("/api/echo", async () => () => {}, any);
    expect(await websocketOutcome(`${base}/api/nope`)).toBe(404);
    expect(await websocketOutcome(`${base}/api/echo/extra`)).toBe(404);
  });

  it("answers 404 when a route declines, and 500 when it throws", async () => {
    router.route("/private", async (request) => (request.headers["x-user"] === "alice" ? () => {} : null), any);
    router.route(
      "/broken",
      async () => {
        throw new Error("boom");
      },
      any,
    );
    expect(await websocketOutcome(`${base}/private`)).toBe(404);
    expect(await websocketOutcome(`${base}/private`, { "x-user": "alice" })).toBe("open");
    expect(await websocketOutcome(`${base}/broken`)).toBe(500);
  });

  it("passes raw upgrades through untouched", async () => {
    router.passThrough(
      "/_next/*",
      (_request, socket) => {
        socket.end("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
      },
      any,
    );
    expect(await websocketOutcome(`${base}/_next/webpack-hmr`)).toBe(418);
  });

  it("takes handshakes only from Podspace's pages unless a route names another origin", async () => {
    const podspace = new URL(env.PODSPACE_URL).origin;
    router.route("/default", async () => () => {});
    router.route("/ide", async () => () => {}, { origin: (request) => (request.headers.host?.startsWith("127.0.0.1") ? "https://ide.example" : null) });
    router.route("/nowhere", async () => () => {}, { origin: () => null });

    expect(await websocketOutcome(`${base}/default`, { origin: podspace })).toBe("open");
    expect(await websocketOutcome(`${base}/default`, { origin: "https://evil.example" })).toBe(403);
    expect(await websocketOutcome(`${base}/default`)).toBe(403);
    expect(await websocketOutcome(`${base}/ide`, { origin: "https://ide.example" })).toBe("open");
    expect(await websocketOutcome(`${base}/ide`, { origin: podspace })).toBe(403);
    // No origin is right: refused, with an Origin header or without.
    expect(await websocketOutcome(`${base}/nowhere`, { origin: podspace })).toBe(403);
    expect(await websocketOutcome(`${base}/nowhere`)).toBe(403);
  });

  it("closes every open socket with 1001 on closeAll", async () => {
    router.route("/stay", async () => () => {}, any);
    const sockets = [new WebSocket(`${base}/stay`), new WebSocket(`${base}/stay`)];
    await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once("open", resolve))));
    expect(router.clients.size).toBe(2);
    const closes = sockets.map(
      (socket) => new Promise<[number, string]>((resolve) => socket.once("close", (code, reason) => resolve([code, String(reason)]))),
    );
    router.closeAll();
    expect(await Promise.all(closes)).toEqual([
      [1001, "server shutting down"],
      [1001, "server shutting down"],
    ]);
  });
});
