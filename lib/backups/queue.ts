import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import type { BackupReason } from "@/lib/generated/prisma/enums";

// The backup queue is the Backup table: a PENDING row is a backup to take.
// Whoever runs one (the backup loop, or the reconciler before a delete)
// claims it first, so that no backup is taken twice at once.

export interface BackupRequest {
  workspaceId: string;
  teamId: string;
  reason: BackupReason;
  requestedById?: string | null;
}

/** Adds a backup to the queue (inside the caller's transaction); wake the loop (wakeBackups) once it is committed. */
export function enqueueBackup(tx: Prisma.TransactionClient, request: BackupRequest): Promise<{ id: string }> {
  return tx.backup.create({ data: { ...request, requestedById: request.requestedById ?? null }, select: { id: true } });
}

/**
 * Takes a PENDING backup to run it, as `reason` if given (a queued backup
 * taken before a delete becomes that delete's): false when someone else took
 * it first (or it is gone).
 */
export async function claimBackup(db: PrismaClient, backupId: string, reason?: BackupReason): Promise<boolean> {
  const { count } = await db.backup.updateMany({ where: { id: backupId, status: "PENDING" }, data: { status: "RUNNING", startedAt: new Date(), reason } });
  return count === 1;
}
