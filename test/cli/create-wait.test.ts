import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { serveRoute, type RouteServer } from "../helpers/route-server";

// `podspace create --wait` when the new workspace fails before it runs: the
// CLI prints the progress, the failure's message and reason, and exits 5.
// A real server can't be made to fail a start before RUNNING on demand (the
// local runtime runs the sandbox before its IDE can crash), so this serves
// the ?wait=ready answer as lib/api/v1/wait-ready.ts writes it.

const LAUNCHER = path.resolve(import.meta.dirname, "../../cli/podspace.mjs");

const PROGRESS = [
  { type: "state", state: "STARTING", desiredState: "RUNNING", stateReason: null, stateChangedAt: "2026-01-01T00:00:00.000Z", startedAt: null, updatedAt: "2026-01-01T00:00:00.000Z" },
  { type: "state", state: "FAILED", desiredState: "RUNNING", stateReason: "quota", stateChangedAt: "2026-01-01T00:00:01.000Z", startedAt: null, updatedAt: "2026-01-01T00:00:01.000Z" },
  { type: "failed", id: "ws-1", reason: "quota", message: "The workspace failed to start; its events say why." },
];

let server: RouteServer;
beforeAll(async () => {
  server = await serveRoute("/api/v1/workspaces", async () =>
    new Response(PROGRESS.map((line) => `${JSON.stringify(line)}\n`).join(""), { status: 201, headers: { "Content-Type": "application/x-ndjson" } }),
  );
});
afterAll(() => server.close());

function podspace(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    env: { ...process.env, PODSPACE_URL: server.base, PODSPACE_TOKEN: "pds_test", PODSPACE_CONFIG: "/nonexistent/config.json" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

it("prints the progress and the failure, and exits 5", async () => {
  const { code, stdout, stderr } = await podspace(["create", "doomed", "--template", "node", "--wait"]);
  expect([code, stdout.trim().split("\n"), stderr.trim()]).toEqual([
    5,
    ["state STARTING", "state FAILED (quota)"],
    "podspace: The workspace failed to start; its events say why. (quota)",
  ]);
});

it("with --json, prints the progress as JSON lines and the failure as JSON, on stderr, and exits 5", async () => {
  const { code, stdout, stderr } = await podspace(["create", "doomed", "--template", "node", "--wait", "--json"]);
  const lines = stderr.trim().split("\n").map((line) => JSON.parse(line) as unknown);
  expect([code, stdout]).toEqual([5, ""]);
  expect(lines).toEqual([
    PROGRESS[0],
    PROGRESS[1],
    { error: { message: "The workspace failed to start; its events say why. (quota)", workspaceId: "ws-1", outcome: PROGRESS[2] } },
  ]);
});
