import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { SetUserDeactivatedInput } from "@/lib/schemas/users";
import { assertAdministersUsers, userNotFound } from "./access";
import { adminUserSelect, toAdminUserView, type AdminUserView } from "./admin-user-view";

/**
 * Deactivates or reactivates a user. Deactivating deletes their sessions, so
 * every browser they are signed in on is signed out on its next request.
 */
export async function setUserDeactivated(actor: Actor, input: SetUserDeactivatedInput): Promise<AdminUserView> {
  assertAdministersUsers(actor);
  if (input.userId === actor.id && input.deactivated) {
    throw new AppError("forbidden", "You can't deactivate your own account.");
  }
  return getDb().$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: input.userId }, select: adminUserSelect });
    if (!user) throw userNotFound();
    const wasDeactivated = user.deactivatedAt !== null;
    if (wasDeactivated === input.deactivated) return toAdminUserView(user);

    const updated = await tx.user.update({
      where: { id: user.id },
      data: { deactivatedAt: input.deactivated ? new Date() : null },
      select: adminUserSelect,
    });
    const { count: sessionsEnded } = input.deactivated
      ? await tx.session.deleteMany({ where: { userId: user.id } })
      : { count: 0 };
    await recordAudit(
      {
        action: input.deactivated ? "user.deactivated" : "user.reactivated",
        actorId: actor.id,
        targetType: "user",
        targetId: user.id,
        before: { deactivated: wasDeactivated },
        after: input.deactivated ? { deactivated: true, sessionsEnded } : { deactivated: false },
      },
      tx,
    );
    return toAdminUserView(updated);
  });
}
