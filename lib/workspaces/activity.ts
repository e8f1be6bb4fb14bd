import { getDb } from "@/lib/db/client";

// Terminal input and IDE traffic mark a workspace as in use, for idle
// shutdown. Every keystroke must not become a database write, so writes are
// debounced per workspace: the first activity writes at once, later activity
// within the interval is folded into one trailing write at its end. That is
// at most one write per workspace per interval, and lastActivityAt is never
// more than one interval behind the truth.

export const ACTIVITY_INTERVAL_MS = 30_000;

export interface ActivityRecorder {
  /** Notes activity on a workspace now; cheap enough to call on every message. */
  record(workspaceId: string): void;
  /** Writes pending trailing activity now (for shutdown and tests). */
  flush(): Promise<void>;
}

interface Slot {
  /** When the last write for this workspace was issued. */
  lastWriteAt: number;
  /** Activity seen since that write, waiting for the trailing write. */
  pending: boolean;
  timer?: NodeJS.Timeout;
}

export function createActivityRecorder(options: {
  write: (workspaceId: string, at: Date) => Promise<unknown>;
  intervalMs?: number;
  now?: () => number;
}): ActivityRecorder {
  const intervalMs = options.intervalMs ?? ACTIVITY_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const slots = new Map<string, Slot>();
  const inFlight = new Set<Promise<unknown>>();

  function write(workspaceId: string, slot: Slot) {
    slot.lastWriteAt = now();
    slot.pending = false;
    const written = options
      .write(workspaceId, new Date(slot.lastWriteAt))
      .catch((error: unknown) => console.error(`podspace: recording activity of workspace ${workspaceId} failed`, error))
      .finally(() => inFlight.delete(written));
    inFlight.add(written);
  }

  function trailing(workspaceId: string) {
    const slot = slots.get(workspaceId);
    if (!slot) return;
    slot.timer = undefined;
    if (slot.pending) {
      write(workspaceId, slot);
      slot.timer = setTimeout(() => trailing(workspaceId), intervalMs).unref();
    } else {
      // A whole interval without activity: forget the workspace.
      slots.delete(workspaceId);
    }
  }

  return {
    record(workspaceId) {
      const slot = slots.get(workspaceId);
      if (!slot) {
        const fresh: Slot = { lastWriteAt: 0, pending: false };
        slots.set(workspaceId, fresh);
        write(workspaceId, fresh);
        fresh.timer = setTimeout(() => trailing(workspaceId), intervalMs).unref();
        return;
      }
      slot.pending = true;
    },
    async flush() {
      for (const [workspaceId, slot] of slots) {
        if (slot.pending) write(workspaceId, slot);
      }
      await Promise.all(inFlight);
    },
  };
}

/** Sets only lastActivityAt: activity is not an edit, so updatedAt stays as it was. */
function writeLastActivity(workspaceId: string, at: Date): Promise<number> {
  return getDb().$executeRaw`UPDATE "Workspace" SET "lastActivityAt" = ${at} WHERE "id" = ${workspaceId} AND ("lastActivityAt" IS NULL OR "lastActivityAt" < ${at})`;
}

// One recorder per process, shared by server.ts's sockets and anything in the
// Next.js bundle, so the per-workspace debounce holds across both.
const RECORDER = Symbol.for("podspace.activity");
const globalStore = globalThis as { [RECORDER]?: ActivityRecorder };

function recorder(): ActivityRecorder {
  return (globalStore[RECORDER] ??= createActivityRecorder({ write: writeLastActivity }));
}

/** Marks the workspace as in use (debounced: at most one database write per workspace per 30 s). */
export function recordActivity(workspaceId: string): void {
  recorder().record(workspaceId);
}

export function flushActivity(): Promise<void> {
  return recorder().flush();
}
