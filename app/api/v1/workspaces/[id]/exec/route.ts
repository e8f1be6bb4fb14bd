import { claimExecSlot } from "@/lib/api/exec-slots";
import { apiRoute, assertTokenReaches, json, readJson } from "@/lib/api/route";
import { auditedCommand, auditWorkspaceCommand, execOptionsOf, execTarget, runInWorkspace, stdinOf } from "@/lib/api/v1/exec";
import { execRequest, type execResult } from "@/lib/api/v1/schemas";
import { watchToken } from "@/lib/api/v1/token-watch";
import type { z } from "zod";

// POST /api/v1/workspaces/<id>/exec: runs a command in the running
// workspace and answers once it has ended, with its output (each stream
// kept to its first MiB) and exit code. For output as it comes, or input
// that follows, use the WebSocket at the same path (lib/api/v1/exec-socket.ts).
// A token revoked meanwhile kills the command (lib/api/v1/token-watch.ts).

/** Each stream's output kept for the answer; the command runs on past it. */
const MAX_STREAM_BYTES = 2 ** 20;

export const POST = apiRoute<{ id: string }>("exec", async ({ request, token, actor, params }) => {
  assertTokenReaches(token, params.id);
  const workspace = await execTarget(actor, params.id);
  const input = await readJson(request, execRequest);
  const release = claimExecSlot(token.id);
  const watch = watchToken(request, token.secret, workspace.id);
  try {
    await auditWorkspaceCommand(actor, workspace, "workspace.exec", { command: auditedCommand(input.command) });
    const stdout = new BoundedOutput();
    const stderr = new BoundedOutput();
    const result = await runInWorkspace(workspace, {
      ...execOptionsOf(input, stdinOf(input)),
      onStdout: (chunk) => stdout.add(chunk),
      onStderr: (chunk) => stderr.add(chunk),
      // A client that hung up, or a token revoked, doesn't leave its command running.
      signal: watch.signal,
    });
    watch.throwIfRevoked();
    const answer: z.input<typeof execResult> = { ...result, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated };
    return json(answer);
  } finally {
    watch.end();
    release();
  }
});

/** The first MAX_STREAM_BYTES of a stream. */
class BoundedOutput {
  #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;

  add(chunk: Buffer): void {
    const room = MAX_STREAM_BYTES - this.#size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.subarray(0, room);
    this.#chunks.push(kept);
    this.#size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString("utf8");
  }
}
