import type { Prisma } from "@/lib/generated/prisma/client";
import type { EventLevel, WorkspaceState } from "@/lib/generated/prisma/enums";
import { AppError } from "@/lib/errors";
import { meterWorkspace } from "@/lib/usage/meter";

// The observed lifecycle of a workspace. Every change goes through
// `transition`, which locks the row, refuses moves the lifecycle doesn't
// allow, and records the change as a workspace event and in the usage
// meter (lib/usage/meter.ts) in the same transaction.

const ALLOWED: Record<WorkspaceState, readonly WorkspaceState[]> = {
  PENDING: ["STARTING", "STOPPED", "FAILED", "DELETING"],
  STARTING: ["RUNNING", "FAILED", "STOPPING", "DELETING"],
  RUNNING: ["STOPPING", "FAILED", "DELETING"],
  STOPPING: ["STOPPED", "FAILED", "DELETING"],
  STOPPED: ["STARTING", "FAILED", "DELETING"],
  // A retry goes back to PENDING; a failed workspace can still be stopped or deleted.
  FAILED: ["PENDING", "STARTING", "STOPPING", "STOPPED", "DELETING"],
  DELETING: ["DELETED", "FAILED"],
  DELETED: [],
};

export function canTransition(from: WorkspaceState, to: WorkspaceState): boolean {
  return from === to || ALLOWED[from].includes(to);
}

export interface TransitionOptions {
  message: string;
  level?: EventLevel;
  /** Machine-readable cause for failures (quota, image, oom, …). */
  reason?: string;
}

/**
 * Moves a workspace to `to` inside `tx`. Returns false, changing nothing,
 * when it is already there; throws when the lifecycle forbids the move.
 */
export async function transition(
  tx: Prisma.TransactionClient,
  workspaceId: string,
  to: WorkspaceState,
  options: TransitionOptions,
): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ state: WorkspaceState }[]>`SELECT "state" FROM "Workspace" WHERE "id" = ${workspaceId} FOR UPDATE`;
  if (!row) throw new AppError("not_found", "Workspace not found.");
  if (row.state === to) return false;
  if (!canTransition(row.state, to)) throw new AppError("conflict", `A ${row.state.toLowerCase()} workspace can't become ${to.toLowerCase()}.`);

  const now = new Date();
  await tx.workspace.update({
    where: { id: workspaceId },
    data: {
      state: to,
      stateReason: to === "FAILED" ? (options.reason ?? "failed") : null,
      stateChangedAt: now,
      ...(to === "RUNNING" ? { startedAt: now, lastActivityAt: now } : {}),
      ...(to === "STOPPED" ? { stoppedAt: now } : {}),
      ...(to === "DELETED" ? { deletedAt: now } : {}),
    },
  });
  // Frees the name for a new workspace; the id keeps the deleted one apart.
  if (to === "DELETED") await tx.$executeRaw`UPDATE "Workspace" SET "name" = "name" || '~' || "id" WHERE "id" = ${workspaceId}`;
  // Usage intervals open and close with the state, in this transaction.
  await meterWorkspace(tx, workspaceId, { now });
  await tx.workspaceEvent.create({
    data: {
      workspaceId,
      step: "state",
      level: options.level ?? (to === "FAILED" ? "ERROR" : "INFO"),
      message: options.message,
      data: { from: row.state, to, ...(options.reason ? { reason: options.reason } : {}) },
    },
  });
  return true;
}
