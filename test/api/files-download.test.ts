import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET } from "@/app/api/v1/workspaces/[id]/files/route";
import { createApiToken } from "@/lib/api-tokens/tokens";
import { installRuntime } from "@/lib/runtime/runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor } from "../helpers/identity";
import { serveRoute, type RouteServer } from "../helpers/route-server";
import { createPeople, runningWorkspace, startHarness, type Harness } from "../terminal/harness";

// GET /api/v1/workspaces/<id>/files over real HTTP (served as Next.js serves
// route handlers, no faster than the client reads) from a real local-runtime
// workspace: tar is held back while the client doesn't read, so what
// Podspace holds of a large file stays small, and the whole file still
// arrives once the client reads on.

useAppDatabase();

/** Random, so nothing on the way shrinks it. */
const FILE_BYTES = 64 << 20;
/**
 * What may lie between tar and a client that stopped reading: the download's
 * own buffer (256 KiB) and the loopback sockets' buffers, which Linux grows
 * to a few MiB each. Far less than the file.
 */
const IN_FLIGHT_LIMIT = 16 << 20;

describe("downloading a large file from a workspace through the API", { timeout: 120_000 }, () => {
  let harness: Harness;
  let server: RouteServer;
  let workspaceId: string;
  let token: string;
  let digest: string;
  /** Bytes of tar's output Podspace has taken from the workspace so far. */
  let taken = 0;

  beforeAll(async () => {
    harness = await startHarness();
    // Counts what the route takes of a command's output: what it holds is that, less what the client received.
    const counting: WorkspaceRuntime = {
      ...harness.runtime,
      exec: (spec, options) =>
        harness.runtime.exec(spec, {
          ...options,
          onStdout: (chunk) => {
            taken += chunk.length;
            return options.onStdout(chunk);
          },
        }),
    };
    installRuntime(counting);
    const people = await createPeople("files");
    workspaceId = (await runningWorkspace(harness, people, "files")).id;
    const content = randomBytes(FILE_BYTES);
    digest = createHash("sha256").update(content).digest("hex");
    await fs.writeFile(path.join(harness.dataDir, "workspaces", workspaceId, "big.bin"), content, { mode: 0o644 });
    token = (await createApiToken(await actorFor(people.owner), { name: "files", days: 1, scopes: ["exec"] })).token;
    server = await serveRoute("/api/v1/workspaces/:id/files", GET as never);
  }, 120_000);
  afterAll(async () => {
    installRuntime(undefined);
    await server?.close();
    await harness?.close();
  });

  it("holds tar back while the client doesn't read, and delivers the whole file once it does", async () => {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`${server.base}/api/v1/workspaces/${workspaceId}/files?path=big.bin`, { headers: { authorization: `Bearer ${token}` } }, resolve).once("error", reject),
    );
    expect(response.statusCode).toBe(200);
    const chunks: Buffer[] = [];
    let received = 0;
    response.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    await new Promise((resolve) => response.once("data", resolve));
    response.pause();

    // tar is far faster than this: unchecked, it would have written the whole file meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const held = taken - received;
    console.log(`paused client: tar's output taken ${(taken / 2 ** 20).toFixed(1)} MiB, received ${(received / 2 ** 20).toFixed(1)} MiB`);
    expect(taken).toBeLessThan(FILE_BYTES);
    expect(held).toBeLessThan(IN_FLIGHT_LIMIT);

    response.resume();
    await new Promise((resolve) => response.once("end", resolve));
    const tar = Buffer.concat(chunks);
    // One member, big.bin: a 512-byte header, then the file.
    expect(tar.subarray(0, 7).toString()).toBe("big.bin");
    expect(createHash("sha256").update(tar.subarray(512, 512 + FILE_BYTES)).digest("hex")).toBe(digest);
  });
});
