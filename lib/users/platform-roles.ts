import { recordAudit, type AuditAction } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { SetPlatformAdminInput, SetTemplateAdminInput } from "@/lib/schemas/users";
import { assertAdministersUsers, userNotFound } from "./access";
import { adminUserSelect, toAdminUserView, type AdminUserView } from "./admin-user-view";

// The platform-wide roles platform admins grant: each a flag on the user,
// changed in a transaction with its audit entry (before and after).

const ROLES = {
  isPlatformAdmin: { granted: "user.platform-admin-granted", revoked: "user.platform-admin-revoked" },
  isTemplateAdmin: { granted: "user.template-admin-granted", revoked: "user.template-admin-revoked" },
} as const satisfies Record<string, { granted: AuditAction; revoked: AuditAction }>;

type PlatformRole = keyof typeof ROLES;

/** Grants or revokes platform admin. Admins can't revoke their own, so there is always one left. */
export async function setPlatformAdmin(actor: Actor, input: SetPlatformAdminInput): Promise<AdminUserView> {
  assertAdministersUsers(actor);
  if (input.userId === actor.id && !input.isPlatformAdmin) {
    throw new AppError("forbidden", "You can't remove your own platform admin role.");
  }
  return setRole(actor, input.userId, "isPlatformAdmin", input.isPlatformAdmin);
}

/** Grants or revokes the template-admin role (create, edit and archive templates). */
export async function setTemplateAdmin(actor: Actor, input: SetTemplateAdminInput): Promise<AdminUserView> {
  assertAdministersUsers(actor);
  return setRole(actor, input.userId, "isTemplateAdmin", input.isTemplateAdmin);
}

function setRole(actor: Actor, userId: string, role: PlatformRole, holds: boolean): Promise<AdminUserView> {
  return getDb().$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: adminUserSelect });
    if (!user) throw userNotFound();
    if (user[role] === holds) return toAdminUserView(user);

    const updated = await tx.user.update({ where: { id: user.id }, data: { [role]: holds }, select: adminUserSelect });
    await recordAudit(
      {
        action: holds ? ROLES[role].granted : ROLES[role].revoked,
        actorId: actor.id,
        targetType: "user",
        targetId: user.id,
        before: { [role]: user[role] },
        after: { [role]: holds },
      },
      tx,
    );
    return toAdminUserView(updated);
  });
}
