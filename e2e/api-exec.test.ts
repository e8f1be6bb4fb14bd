import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { documentedApi, type ApiCall } from "./api-client";
import { tokenFromPage } from "./api-tokens";
import { insertTemplate, query } from "./database";
import { usePodspaceStack } from "./stack";
import { DEMO, signIn } from "./sign-in";
import { healthCheckTemplate } from "./ide-template";

// Running commands in a workspace through the API, on the real server and
// the local runtime: the answer of POST /exec, its WebSocket's stream, the
// exec scope, a timeout that takes the command's children with it, the
// per-token cap on commands at once, and the token's revocation ending a
// stream. Answers are checked against the served OpenAPI document.

const MAX_CONCURRENT = 2;

const TEMPLATE = healthCheckTemplate("exec-ide", "Exec IDE", {
  resources: { cpu: { default: 1, options: [1] }, memoryGiB: { default: 1, min: 1, max: 1 }, diskGiB: { default: 1, min: 1, max: 1 } },
  parameters: [],
});

type Message = { type: string; data?: string; exitCode?: number | null; timedOut?: boolean };

describe("exec through the API", () => {
  const stack = usePodspaceStack({ PODSPACE_API_MAX_CONCURRENT_EXEC: String(MAX_CONCURRENT), PODSPACE_API_MAX_UPLOAD_MB: "1" });
  let page: Page;
  let api: ApiCall;
  let openapi: Awaited<ReturnType<typeof documentedApi>>["openapi"];
  let token: string;
  let workspaceId: string;
  const execPath = "/workspaces/{id}/exec";

  beforeAll(async () => {
    await insertTemplate(stack.database.url, TEMPLATE);
    page = await stack.browser.newPage();
    await signIn(page, stack.podspace.url, { provider: DEMO, account: /Dana Developer/ });
    ({ api, openapi } = await documentedApi(stack.podspace.url));
    token = await tokenFromPage(page, stack.podspace.url, "agent", ["read", "workspaces:write", "exec"]);
    const created = await fetch(`${stack.podspace.url}/api/v1/workspaces?wait=ready`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "agent-box", template: "exec-ide" }),
    });
    const last = JSON.parse((await created.text()).trim().split("\n").at(-1)!) as { type: string; id: string };
    expect(last.type).toBe("ready");
    workspaceId = last.id;
  });

  const exec = (body: unknown, as = token) => api(as, "POST", `/workspaces/${workspaceId}/exec`, execPath, body);

  /** Opens the exec WebSocket; resolves once it is open, or rejects with the HTTP status it was refused with. */
  function openSocket(as = token): Promise<WebSocket> {
    const url = `${stack.podspace.url.replace(/^http/, "ws")}/api/v1/workspaces/${workspaceId}/exec`;
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${as}` } });
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(socket));
      socket.once("unexpected-response", (_request, response) => reject(new Error(`refused with ${response.statusCode}`)));
      socket.once("error", reject);
    });
  }

  /** Every message the socket gets until it closes, and its close code. */
  function messagesUntilClose(socket: WebSocket): Promise<{ messages: Message[]; code: number }> {
    const messages: Message[] = [];
    socket.on("message", (data) => messages.push(JSON.parse(String(data)) as Message));
    return new Promise((resolve) => socket.once("close", (code) => resolve({ messages, code })));
  }

  it("runs a command and answers with its output and exit code, audited via the token", async () => {
    const { status, json } = await exec({ command: ["sh", "-c", 'echo "hi $WHO from $(pwd) as $(id -un)"; cat; echo oops >&2; exit 3'], env: { WHO: "agent" }, stdin: "typed in\n" });
    expect(status).toBe(200);
    expect(json).toEqual({ exitCode: 3, stdout: "hi agent from /home/coder as coder\ntyped in\n", stderr: "oops\n", timedOut: false, truncated: false });

    const [entry] = await query<{ via: string; after: { command: string } }>(
      stack.database.url,
      `SELECT via, after FROM "AuditLog" WHERE action = 'workspace.exec' AND "targetId" = $1 ORDER BY "createdAt" LIMIT 1`,
      [workspaceId],
    );
    expect(entry).toMatchObject({ via: "token agent", after: { command: expect.stringMatching(/^sh -c echo "hi \$WHO/) } });
  });

  it("keeps the first MiB of each stream, and says it cut the rest", async () => {
    const { json } = await exec({ command: ["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x; echo done >&2"] });
    expect(json).toMatchObject({ exitCode: 0, stderr: "done\n", truncated: true });
    expect(json.stdout).toBe("x".repeat(2 ** 20));
  });

  it("refuses a token without the exec scope, and bad input with the field", async () => {
    const reader = await tokenFromPage(page, stack.podspace.url, "reader", ["read", "workspaces:write"]);
    const refused = await exec({ command: ["true"] }, reader);
    expect([refused.status, refused.json.error]).toEqual([403, { code: "insufficient_scope", message: "This token lacks the exec scope." }]);
    await expect(openSocket(reader)).rejects.toThrow("refused with 403");

    const invalid = await exec({ command: [], timeoutSeconds: 60 });
    expect([invalid.status, invalid.json.error.field]).toEqual([422, "command"]);
    expect((await exec({ command: ["true"], timeoutSeconds: 3601 })).json.error.field).toBe("timeoutSeconds");
  });

  it("kills a timed-out command with everything it started", async () => {
    const { json } = await exec({ command: ["sh", "-c", "sleep 300 & echo $!; sleep 300"], timeoutSeconds: 1 });
    expect(json).toMatchObject({ exitCode: null, timedOut: true });
    const child = json.stdout.trim();
    expect(child).toMatch(/^\d+$/);
    const check = await exec({ command: ["sh", "-c", 'kill -0 "$1" 2>/dev/null && [ "$(cut -d" " -f3 "/proc/$1/stat")" != Z ] && echo running || echo gone', "sh", child] });
    expect(check.json.stdout).toBe("gone\n");
  });

  it("streams output over the WebSocket in order, takes input as it comes, and ends with the exit code", async () => {
    const socket = await openSocket();
    const done = messagesUntilClose(socket);
    socket.send(JSON.stringify({ command: ["sh", "-c", "echo one; echo two >&2; while read line; do echo \"got $line\"; done; exit 7"], stdinOpen: true }));
    socket.send(JSON.stringify({ type: "stdin", data: "first\nsec" }));
    socket.send(JSON.stringify({ type: "stdin", data: "ond\n" }));
    socket.send(JSON.stringify({ type: "eof" }));
    const { messages, code } = await done;
    expect(code).toBe(1000);
    const joined = (type: string) => messages.filter((message) => message.type === type).map((message) => message.data).join("");
    expect(joined("stdout")).toBe("one\ngot first\ngot second\n");
    expect(joined("stderr")).toBe("two\n");
    expect(messages.at(-1)).toEqual({ type: "exit", exitCode: 7, timedOut: false });
  });

  it("answers 429 with Retry-After beyond the token's commands at once, and frees a slot when a socket closes", async () => {
    const sockets = await Promise.all(Array.from({ length: MAX_CONCURRENT }, () => openSocket()));
    for (const socket of sockets) socket.send(JSON.stringify({ command: ["sleep", "300"] }));
    const refused = await exec({ command: ["true"] });
    expect([refused.status, refused.json.error.code, refused.headers.get("retry-after")]).toEqual([429, "rate_limited", "5"]);
    await expect(openSocket()).rejects.toThrow("refused with 429");

    const closed = messagesUntilClose(sockets[0]!);
    sockets[0]!.close();
    await closed;
    // The server frees the slot once it sees the close.
    let status = 429;
    for (let attempt = 0; attempt < 50 && status === 429; attempt++) {
      status = (await exec({ command: ["true"] })).status;
      if (status === 429) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    sockets[1]!.close();
  });

  it("closes a stream once its token is revoked, killing the command", async () => {
    const doomed = await tokenFromPage(page, stack.podspace.url, "doomed", ["exec"]);
    const socket = await openSocket(doomed);
    const done = messagesUntilClose(socket);
    socket.send(JSON.stringify({ command: ["sh", "-c", "echo $$; exec sleep 300"] }));
    await new Promise<void>((resolve) => socket.once("message", () => resolve()));
    await query(stack.database.url, `UPDATE "ApiToken" SET "revokedAt" = now() WHERE name = 'doomed'`);
    const { messages, code } = await done;
    expect(code).toBe(4401);
    const pid = messages[0]!.data!.trim();
    let state = "running\n";
    // The kill follows the close: asked again until it shows, within the test's timeout.
    while (state === "running\n") {
      state = (await exec({ command: ["sh", "-c", 'kill -0 "$1" 2>/dev/null && [ "$(cut -d" " -f3 "/proc/$1/stat")" != Z ] && echo running || echo gone', "sh", pid] })).json.stdout;
    }
    expect(state).toBe("gone\n");
  });

  /** Whether a process of the workspace still runs, asked with the suite's own token. */
  const stillRuns = async (pid: string) =>
    (await exec({ command: ["sh", "-c", 'kill -0 "$1" 2>/dev/null && [ "$(cut -d" " -f3 "/proc/$1/stat")" != Z ] && echo running || echo gone', "sh", pid] })).json.stdout === "running\n";

  it("kills a command run with POST /exec once its token is revoked, and answers 401 instead of its output", async () => {
    const doomed = await tokenFromPage(page, stack.podspace.url, "doomed-post", ["exec"]);
    const answer = exec({ command: ["sh", "-c", "echo $$ > doomed.pid; exec sleep 30"] }, doomed);
    let pid = "";
    while (!pid) pid = (await exec({ command: ["sh", "-c", "cat doomed.pid 2>/dev/null || true"] })).json.stdout.trim();
    await query(stack.database.url, `UPDATE "ApiToken" SET "revokedAt" = now() WHERE name = 'doomed-post'`);
    const revokedAt = Date.now();
    const { status, json } = await answer;
    expect([status, json.error?.code]).toEqual([401, "unauthenticated"]);
    expect(Date.now() - revokedAt).toBeLessThan(10_000);
    await vi.waitFor(async () => expect(await stillRuns(pid)).toBe(false), { timeout: 10_000 });
  });

  it("stops a file upload once its token is revoked, and answers 401", async () => {
    const doomed = await tokenFromPage(page, stack.podspace.url, "doomed-copy", ["exec"]);
    const upload = http.request(`${stack.podspace.url}/api/v1/workspaces/${workspaceId}/files?path=slow`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${doomed}`, "Content-Type": "application/x-tar" },
    });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      upload.once("response", (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        response.once("end", () => resolve({ status: response.statusCode!, body }));
      });
      upload.once("error", reject);
    });
    // The start of an archive, and then nothing more: tar waits for the rest, as for a slow client's.
    const source = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-files-"));
    await fs.writeFile(path.join(source, "part.bin"), Buffer.alloc(64 * 1024));
    upload.write(execFileSync("tar", ["-C", source, "-cf", "-", "."]).subarray(0, 16 * 1024));
    await query(stack.database.url, `UPDATE "ApiToken" SET "revokedAt" = now() WHERE name = 'doomed-copy'`);
    const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the upload is still going")), 10_000).unref());
    const { status, body } = await Promise.race([answered, deadline]);
    upload.destroy();
    expect([status, (JSON.parse(body) as { error: { code: string } }).error.code]).toEqual([401, "unauthenticated"]);
  });

  /** A request to /files with a tar body or answer; its status must be one the document gives for it. */
  async function files(method: "GET" | "PUT", filePath: string, body?: Buffer) {
    const response = await fetch(`${stack.podspace.url}/api/v1/workspaces/${workspaceId}/files?path=${encodeURIComponent(filePath)}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/x-tar" } : {}) },
      body: body && new Uint8Array(body),
    });
    expect(openapi.paths["/workspaces/{id}/files"]?.[method.toLowerCase()]?.responses[String(response.status)]).toBeDefined();
    return response;
  }

  it("copies a folder in as a tar and out again, and says why when it can't", async () => {
    const source = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-files-"));
    await fs.mkdir(path.join(source, "src", "deep"), { recursive: true });
    await fs.writeFile(path.join(source, "README.md"), "# hello\n");
    await fs.writeFile(path.join(source, "src", "deep", "data.bin"), Buffer.from([0, 1, 2, 255, 254]));
    const archive = execFileSync("tar", ["-C", source, "-cf", "-", "."]);
    expect((await files("PUT", "project/in", archive)).status).toBe(204);
    expect((await exec({ command: ["cat", "project/in/README.md"] })).json.stdout).toBe("# hello\n");

    const download = await files("GET", "project/in");
    expect([download.status, download.headers.get("content-type")]).toEqual([200, "application/x-tar"]);
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-files-"));
    execFileSync("tar", ["-C", copy, "-xf", "-"], { input: Buffer.from(await download.arrayBuffer()) });
    expect(await fs.readFile(path.join(copy, "README.md"), "utf8")).toBe("# hello\n");
    expect(await fs.readFile(path.join(copy, "src", "deep", "data.bin"))).toEqual(Buffer.from([0, 1, 2, 255, 254]));
    // One file comes with its name.
    const single = await files("GET", "project/in/README.md");
    expect(execFileSync("tar", ["-tf", "-"], { input: Buffer.from(await single.arrayBuffer()) }).toString()).toBe("README.md\n");

    const missing = await files("GET", "no/such/thing");
    expect([missing.status, ((await missing.json()) as { error: { message: string } }).error.message]).toEqual([404, "No such file or directory: no/such/thing"]);
    const large = await files("PUT", "big", Buffer.alloc(2 * 2 ** 20));
    expect([large.status, ((await large.json()) as { error: { code: string } }).error.code]).toEqual([413, "too_large"]);
    const notTar = await files("PUT", "junk", Buffer.from("not a tar archive at all"));
    expect(notTar.status).toBe(422);

    const [entry] = await query<{ via: string; after: { path: string } }>(
      stack.database.url,
      `SELECT via, after FROM "AuditLog" WHERE action = 'workspace.files-uploaded' AND "targetId" = $1`,
      [workspaceId],
    );
    expect(entry).toMatchObject({ via: "token agent", after: { path: "project/in" } });
  });

  it("answers 409 for a workspace that isn't running", async () => {
    expect((await api(token, "POST", `/workspaces/${workspaceId}/stop`, "/workspaces/{id}/stop")).status).toBe(202);
    let state = "";
    while (state !== "STOPPED") {
      state = (await api(token, "GET", `/workspaces/${workspaceId}`, "/workspaces/{id}")).json.state;
      if (state !== "STOPPED") await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const refused = await exec({ command: ["true"] });
    expect([refused.status, refused.json.error.code]).toEqual([409, "conflict"]);
    expect(refused.json.error.message).toBe("Workspace agent-box is not running (it is stopped); start it first.");
    await expect(openSocket()).rejects.toThrow("refused with 409");
  });
});
