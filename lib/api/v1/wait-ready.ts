import type { Actor } from "@/lib/authz";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/observability/logger";
import { endOnShutdown } from "@/lib/server/long-responses";
import { watchWorkspace } from "@/lib/workspaces/get-workspace";

// `POST /api/v1/workspaces?wait=ready`: the answer streams the new
// workspace's progress as newline-delimited JSON, one object per line
// ({"type":"state",…} and {"type":"event",…}, as the workspace page sees
// them), and ends with {"type":"ready","id":…} once it runs or
// {"type":"failed","id":…,"reason":…} once it fails, so a script needs no
// polling loop of its own ("timeout" after 15 minutes, "interrupted" when the
// server shuts down meanwhile).

/** How long the answer waits at most; a client that needs longer follows /events. */
const MAX_WAIT_MS = 15 * 60_000;

export function readinessStream(actor: Actor, workspaceId: string, request: Request, status: number): Response {
  const stop = new AbortController();
  request.signal.addEventListener("abort", () => stop.abort(), { once: true });
  const forget = endOnShutdown(stop);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, MAX_WAIT_MS);
  const encoder = new TextEncoder();
  const line = (value: unknown) => encoder.encode(`${JSON.stringify(value)}\n`);

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for await (const update of watchWorkspace(actor, workspaceId, { signal: stop.signal })) {
          if (update.type === "gone") {
            controller.enqueue(line({ type: "failed", reason: "deleted", message: "The workspace was deleted." }));
            break;
          }
          controller.enqueue(line(update.type === "state" ? { type: "state", ...update.workspace } : { type: "event", ...update.event }));
          if (update.type !== "state") continue;
          if (update.workspace.state === "RUNNING") {
            controller.enqueue(line({ type: "ready", id: workspaceId }));
            break;
          }
          if (update.workspace.state === "FAILED") {
            controller.enqueue(line({ type: "failed", id: workspaceId, reason: update.workspace.stateReason, message: "The workspace failed to start; its events say why." }));
            break;
          }
        }
        if (stop.signal.aborted && !request.signal.aborted) {
          controller.enqueue(
            line(
              timedOut
                ? { type: "timeout", id: workspaceId, message: `Not ready within ${MAX_WAIT_MS / 60_000} minutes.` }
                : { type: "interrupted", id: workspaceId, message: `This Podspace server is shutting down; follow the workspace at /api/v1/workspaces/${workspaceId}.` },
            ),
          );
        }
      } catch (error) {
        logger.error({ err: error, workspaceId }, "following a new workspace for ?wait=ready failed");
        controller.enqueue(line({ type: "error", message: error instanceof AppError ? error.message : "Following the workspace failed; it was logged." }));
      } finally {
        clearTimeout(deadline);
        forget();
        stop.abort();
        controller.close();
      }
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(body, { status, headers: { "Content-Type": "application/x-ndjson", "Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no" } });
}
