import { watchAccess } from "@/lib/auth/stream-access";
import type { Actor } from "@/lib/authz";
import { AppError } from "@/lib/errors";
import { endOnShutdown } from "@/lib/server/long-responses";
import { watchWorkspace, type WorkspaceUpdate } from "./get-workspace";

// Server-Sent Events of one workspace, for its page (session cookie) and for
// the API (token): the workspace's state, then each new WorkspaceEvent and
// state change as the reconciler writes them. The browser's EventSource
// reconnects on its own, sending the id of the last event it got
// (Last-Event-ID), from which the stream resumes. An open stream keeps
// checking that access still holds, and once it is gone ends with a
// `revoked` event, so that the page says so instead of reconnecting.

/** Comments keep proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;
/** Streams end after this long anyway; the reconnect starts afresh. */
const MAX_STREAM_MS = 10 * 60_000;
/** The last message of a stream whose user lost access (signed out, removed, deactivated, a role taken away). */
const REVOKED = "event: revoked\ndata: {}\n\n";

function parseSince(value: string | null): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function format(update: WorkspaceUpdate): string {
  switch (update.type) {
    case "event":
      // The id is the event's time: what a reconnect resumes from.
      return `event: workspace-event\nid: ${update.event.createdAt}\ndata: ${JSON.stringify(update.event)}\n\n`;
    case "state":
      return `event: state\ndata: ${JSON.stringify(update.workspace)}\n\n`;
    case "gone":
      return "event: gone\ndata: {}\n\n";
  }
}

export interface EventStreamOptions {
  request: Request;
  actor: Actor;
  workspaceId: string;
  /** Asked every few seconds while the stream is open; the stream ends at the first no. */
  stillAllowed: () => Promise<boolean>;
}

/** The stream's response; null when the workspace doesn't exist or is out of the actor's reach. */
export async function workspaceEventStream({ request, actor, workspaceId, stillAllowed }: EventStreamOptions): Promise<Response | null> {
  const since = parseSince(request.headers.get("last-event-id")) ?? parseSince(new URL(request.url).searchParams.get("since"));
  const stop = new AbortController();
  const forget = endOnShutdown(stop);
  const abort = () => stop.abort();
  request.signal.addEventListener("abort", abort, { once: true });
  const updates = watchWorkspace(actor, workspaceId, { signal: stop.signal, since });

  // The first update also checks access, so a refusal is a plain 404, not a stream.
  let first: IteratorResult<WorkspaceUpdate, void>;
  try {
    first = await updates.next();
  } catch (error) {
    request.signal.removeEventListener("abort", abort);
    forget();
    if (error instanceof AppError && error.code === "not_found") return null;
    throw error;
  }

  let revoked = false;
  watchAccess({
    allowed: stillAllowed,
    onRevoked: () => {
      revoked = true;
      abort();
    },
    signal: stop.signal,
  });

  const encoder = new TextEncoder();
  let keepalive: NodeJS.Timeout | undefined;
  let lifetime: NodeJS.Timeout | undefined;
  const cleanup = () => {
    clearInterval(keepalive);
    clearTimeout(lifetime);
    request.signal.removeEventListener("abort", abort);
    forget();
    stop.abort();
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          // Already closed.
        }
      };
      send("retry: 2000\n\n");
      if (!first.done) send(format(first.value));
      keepalive = setInterval(() => send(": keepalive\n\n"), KEEPALIVE_MS);
      lifetime = setTimeout(() => stop.abort(), MAX_STREAM_MS);

      void (async () => {
        try {
          for await (const update of updates) {
            // Nothing more once the stream is ending (access revoked): not even what a query in flight found.
            if (stop.signal.aborted) break;
            send(format(update));
          }
        } catch (error) {
          console.error(`podspace: streaming workspace ${workspaceId} failed`, error);
        } finally {
          cleanup();
          if (revoked) send(REVOKED);
          try {
            controller.close();
          } catch {
            // The client closed it first.
          }
        }
      })();
    },
    cancel() {
      cleanup();
    },
  });

  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform keeps the compression middleware from buffering the stream.
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
}
