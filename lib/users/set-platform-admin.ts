import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { SetPlatformAdminInput } from "@/lib/schemas/users";
import { assertAdministersUsers, userNotFound } from "./access";
import { adminUserSelect, toAdminUserView, type AdminUserView } from "./admin-user-view";

/** Grants or revokes platform admin. Admins can't revoke their own, so there is always one left. */
export async function setPlatformAdmin(actor: Actor, input: SetPlatformAdminInput): Promise<AdminUserView> {
  assertAdministersUsers(actor);
  if (input.userId === actor.id && !input.isPlatformAdmin) {
    throw new AppError("forbidden", "You can't remove your own platform admin role.");
  }
  return getDb().$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: input.userId }, select: adminUserSelect });
    if (!user) throw userNotFound();
    if (user.isPlatformAdmin === input.isPlatformAdmin) return toAdminUserView(user);

    const updated = await tx.user.update({
      where: { id: user.id },
      data: { isPlatformAdmin: input.isPlatformAdmin },
      select: adminUserSelect,
    });
    await recordAudit(
      {
        action: input.isPlatformAdmin ? "user.platform-admin-granted" : "user.platform-admin-revoked",
        actorId: actor.id,
        targetType: "user",
        targetId: user.id,
        before: { isPlatformAdmin: user.isPlatformAdmin },
        after: { isPlatformAdmin: input.isPlatformAdmin },
      },
      tx,
    );
    return toAdminUserView(updated);
  });
}
