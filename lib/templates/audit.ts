import type { Prisma } from "@/lib/generated/prisma/client";

// Template changes in the audit log, in the shape lib/audit.ts writes.
// TODO(lib/audit.ts owner): add these actions and the "template" target type
// to AuditAction/AuditEntry there, then switch this to recordAudit.

export type TemplateAuditAction = "template.created" | "template.version-created" | "template.archived" | "template.unarchived";

export interface TemplateAuditEntry {
  action: TemplateAuditAction;
  /** Null for the system itself (seeding the built-in templates). */
  actorId: string | null;
  templateId: string;
  before?: Prisma.InputJsonValue | null;
  after?: Prisma.InputJsonValue | null;
}

export async function recordTemplateAudit(entry: TemplateAuditEntry, db: Pick<Prisma.TransactionClient, "auditLog">): Promise<void> {
  await db.auditLog.create({
    data: {
      action: entry.action,
      actorId: entry.actorId,
      targetType: "template",
      targetId: entry.templateId,
      before: entry.before ?? undefined,
      after: entry.after ?? undefined,
    },
  });
}
