import type { Prisma } from "@/lib/generated/prisma/client";
import { getDb } from "@/lib/db/client";

export type AuditAction =
  | "auth.sign-in"
  | "auth.sign-out"
  | "auth.sign-in-refused"
  | "user.created"
  | "user.deactivated"
  | "user.reactivated"
  | "user.platform-admin-granted"
  | "user.platform-admin-revoked"
  | "team.created"
  | "team.archived"
  | "team.unarchived"
  | "membership.added"
  | "membership.role-changed"
  | "membership.removed"
  | "workspace.created"
  | "workspace.start-requested"
  | "workspace.stop-requested"
  | "workspace.delete-requested"
  | "workspace.retry-requested"
  | "workspace.restart-requested"
  | "workspace.updated"
  | "workspace.settings-changed"
  // Lifecycle policies (actor null: the system).
  | "workspace.auto-stopped"
  | "workspace.marked-dormant"
  | "workspace.deletion-scheduled"
  | "workspace.deletion-cancelled"
  | "workspace.auto-deleted"
  | "quota.limits-changed"
  | "quota.ceilings-changed";

export interface AuditEntry {
  action: AuditAction;
  /** Null for the system itself (group sync, provisioning). */
  actorId: string | null;
  targetType: "user" | "team" | "membership" | "workspace";
  targetId?: string | null;
  teamId?: string | null;
  before?: Prisma.InputJsonValue | null;
  after?: Prisma.InputJsonValue | null;
}

type Writer = Pick<Prisma.TransactionClient, "auditLog">;

/**
 * Records who did what to whom, with the state before and after. Pass the
 * transaction client when the change itself runs in a transaction, so the
 * entry commits or rolls back with it.
 */
export async function recordAudit(entry: AuditEntry, db: Writer = getDb()): Promise<void> {
  await db.auditLog.create({
    data: {
      action: entry.action,
      actorId: entry.actorId,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      teamId: entry.teamId ?? null,
      before: entry.before ?? undefined,
      after: entry.after ?? undefined,
    },
  });
}
