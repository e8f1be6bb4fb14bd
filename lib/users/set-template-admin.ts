import { z } from "zod";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { flagSchema, idSchema } from "@/lib/schemas/fields";
import { assertAdministersUsers, userNotFound } from "./access";
import { adminUserSelect, toAdminUserView, type AdminUserView } from "./admin-user-view";
import { recordAudit } from "@/lib/audit";

export const setTemplateAdminSchema = z.object({ userId: idSchema, isTemplateAdmin: flagSchema });
export type SetTemplateAdminInput = z.output<typeof setTemplateAdminSchema>;

/**
 * Grants or revokes the template-admin role (create, edit and archive
 * templates). Platform admins only; audited before and after.
 */
export async function setTemplateAdmin(actor: Actor, input: SetTemplateAdminInput): Promise<AdminUserView> {
  assertAdministersUsers(actor);
  return getDb().$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: input.userId }, select: adminUserSelect });
    if (!user) throw userNotFound();
    if (user.isTemplateAdmin === input.isTemplateAdmin) return toAdminUserView(user);

    const updated = await tx.user.update({
      where: { id: user.id },
      data: { isTemplateAdmin: input.isTemplateAdmin },
      select: adminUserSelect,
    });
    await recordAudit(
      {
        action: input.isTemplateAdmin ? "user.template-admin-granted" : "user.template-admin-revoked",
        actorId: actor.id,
        targetType: "user",
        targetId: user.id,
        before: { isTemplateAdmin: user.isTemplateAdmin },
        after: { isTemplateAdmin: input.isTemplateAdmin },
      },
      tx,
    );
    return toAdminUserView(updated);
  });
}
