import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Prisma } from "@/lib/generated/prisma/client";
import { getDb } from "@/lib/db/client";

/** Every action the audit log records; also the audit page's filter choices. */
export const AUDIT_ACTIONS = [
  "auth.sign-in",
  "auth.sign-out",
  "auth.sign-in-refused",
  "user.created",
  "user.deactivated",
  "user.reactivated",
  "user.platform-admin-granted",
  "user.platform-admin-revoked",
  "user.template-admin-granted",
  "user.template-admin-revoked",
  "team.created",
  "team.archived",
  "team.unarchived",
  "team.port-share-capped",
  "membership.added",
  "membership.role-changed",
  "membership.removed",
  "template.created",
  "template.version-created",
  "template.archived",
  "template.unarchived",
  "workspace.created",
  "workspace.start-requested",
  "workspace.stop-requested",
  "workspace.delete-requested",
  // A delete whose final backup failed, made to go on without it.
  "workspace.final-backup-skipped",
  "workspace.retry-requested",
  "workspace.restart-requested",
  "workspace.updated",
  "workspace.settings-changed",
  // A platform admin's time-limited access to the terminal and IDE, and its early end.
  "workspace.access-granted",
  "workspace.access-ended",
  // Lifecycle policies (actor null: the system).
  "workspace.auto-stopped",
  "workspace.marked-dormant",
  "workspace.deletion-scheduled",
  "workspace.deletion-cancelled",
  "workspace.auto-deleted",
  // Who a workspace's port is shared with (preview URLs).
  "workspace.port-shared",
  "workspace.port-link-created",
  "workspace.port-link-revoked",
  // Commands run, files copied in and shells opened through the API (its exec scope).
  "workspace.exec",
  "workspace.files-uploaded",
  "workspace.terminal-opened",
  "token.created",
  "token.revoked",
  "service-account.created",
  "service-account.removed",
  "quota.limits-changed",
  "quota.ceilings-changed",
  // The AI gateway's budgets and model allow-list of a team (lib/ai/budget-settings.ts).
  "quota.ai-budget-changed",
  "quota.ai-ceilings-changed",
  "warm-pool.resized",
  // Backups of a workspace's home (lib/backups): taken (actor: who asked, or null), failed, restored, downloaded from, expired.
  "backup.taken",
  "backup.failed",
  "backup.restored",
  "backup.downloaded",
  "backup.expired",
  "team.backup-settings-changed",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Actions whose entries belong to a team (the rest, such as sign-ins and templates, to none). */
export const TEAM_AUDIT_ACTIONS: readonly AuditAction[] = AUDIT_ACTIONS.filter((action) => /^(team|membership|workspace|quota|service-account|warm-pool|backup)\./.test(action));

export interface AuditEntry {
  action: AuditAction;
  /** Null for the system itself (group sync, provisioning, seeding the built-in templates). */
  actorId: string | null;
  targetType: "user" | "team" | "membership" | "workspace" | "template" | "token" | "backup";
  targetId?: string | null;
  teamId?: string | null;
  before?: Prisma.InputJsonValue | null;
  after?: Prisma.InputJsonValue | null;
  /** How the actor acted (withAuditVia); by default as the code recording it runs. */
  via?: string | null;
}

type Writer = Pick<Prisma.TransactionClient, "auditLog">;

/**
 * How the code running inside `run` acts for its actor, such as "token ci"
 * for a request through the API: every entry recorded meanwhile says so,
 * without each domain function having to be told.
 */
const actingVia = new AsyncLocalStorage<string>();
export const withAuditVia = <T>(via: string, run: () => T): T => actingVia.run(via, run);
/** How the code running now acts (withAuditVia), for an entry recorded later elsewhere, such as in a batch of other requests. */
export const currentAuditVia = (): string | null => actingVia.getStore() ?? null;

/**
 * Records who did what to whom, with the state before and after. Pass the
 * transaction client when the change itself runs in a transaction, so the
 * entry commits or rolls back with it.
 */
export async function recordAudit(entry: AuditEntry, db: Writer = getDb()): Promise<void> {
  await db.auditLog.create({ data: auditRow(entry) });
}

/**
 * recordAudit for several entries at once, as the database's AuditLog_record
 * takes them (one JSON array), so that a statement of the caller's writes a
 * batch's changes and their entries in one round trip (a batch of starts,
 * lib/workspaces/start-batch.ts). Ids are UUIDs, as the metering's raw inserts
 * make them; the log orders by time, then id.
 */
export function auditEntriesJson(entries: readonly AuditEntry[], now: Date = new Date()): string {
  // The time as Prisma writes it (UTC wall time: an ISO string read as a timestamp drops its "Z"), not the column's default, which is the session's time zone's.
  return JSON.stringify(entries.map((entry) => ({ id: randomUUID(), ...auditRow(entry), createdAt: now.toISOString() })));
}

function auditRow(entry: AuditEntry) {
  return {
    action: entry.action,
    actorId: entry.actorId,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    teamId: entry.teamId ?? null,
    before: entry.before ?? undefined,
    after: entry.after ?? undefined,
    via: entry.via !== undefined ? entry.via : currentAuditVia(),
  };
}
