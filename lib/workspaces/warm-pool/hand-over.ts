import { Readable } from "node:stream";
import { getDb } from "@/lib/db/client";
import { logger } from "@/lib/observability/logger";
import { HANDED_OVER_ENV_FILE } from "@/lib/runtime/exec-command";
import { getRuntime } from "@/lib/runtime/runtime";
import { shellQuote } from "@/lib/runtime/startup-command";
import type { WorkspaceRuntime, WorkspaceSpec } from "@/lib/runtime/types";
import { runtimeSpecInclude, toRuntimeSpec } from "../runtime-spec";

// A warm pool member runs with the pool's environment: its pod spec (or
// process) was made before anyone claimed it and names no user. Once a claim
// has committed, what is the user's reaches the running workspace through
// the runtime's exec, never through its spec: the workspace's environment as
// the user's workspace has it (its name, parameters) is written to a file in
// its home that every terminal and exec reads (lib/runtime/exec-command.ts),
// and the runtime brings what names the workspace's owner (labels) up to date.

const HAND_OVER_TIMEOUT_MS = 15_000;
const HAND_OVER_ATTEMPTS = 3;

/** The environment as `export NAME='value'` lines, for `.` in a POSIX shell. */
export function envFile(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join("");
}

/**
 * Delivers the user's environment to a claimed workspace. A failure is the
 * workspace's event, not the create's: the workspace is the user's and runs
 * either way, and its next start gets everything from its spec.
 */
export async function handOverClaimed(workspaceId: string): Promise<void> {
  const db = getDb();
  try {
    const workspace = await db.workspace.findUniqueOrThrow({ where: { id: workspaceId }, include: runtimeSpecInclude });
    const spec = toRuntimeSpec(workspace);
    const runtime = await getRuntime();
    // Writing the file again is harmless, so a connection lost on the way (a busy API server) is tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        await writeEnvFile(runtime, spec);
        break;
      } catch (error) {
        if (attempt === HAND_OVER_ATTEMPTS) throw error;
      }
    }
    await runtime.handOver(spec);
  } catch (error) {
    logger.warn({ err: error, workspaceId }, "handing a claimed warm pool workspace over failed");
    await db.workspaceEvent.create({
      data: {
        workspaceId,
        step: "pool",
        level: "WARNING",
        message: "Your workspace's settings didn't reach it yet; restart it to apply them.",
      },
    });
  }
}

async function writeEnvFile(runtime: WorkspaceRuntime, spec: WorkspaceSpec): Promise<void> {
  let stderr = "";
  const result = await runtime.exec(spec, {
    command: ["/bin/sh", "-c", `umask 077 && mkdir -p "$(dirname "$1")" && cat > "$1.new" && mv -f "$1.new" "$1"`, "sh", HANDED_OVER_ENV_FILE],
    // Bytes: the Kubernetes exec stream frames Buffers, not strings.
    stdin: Readable.from([Buffer.from(envFile(spec.env))]),
    onStdout: () => {},
    onStderr: (chunk) => (stderr += chunk.toString()),
    timeoutMs: HAND_OVER_TIMEOUT_MS,
  });
  if (result.exitCode !== 0) throw new Error(`writing ${HANDED_OVER_ENV_FILE} exited with ${result.exitCode ?? "a signal"}: ${stderr.trim()}`);
}
