"use server";

import { revalidatePath } from "next/cache";

import { formAction } from "@/lib/forms/form-action";
import { setPlatformAdminSchema, setTemplateAdminSchema, setUserDeactivatedSchema } from "@/lib/schemas/users";
import { assertAdministersUsers } from "@/lib/users/access";
import { setPlatformAdmin, setTemplateAdmin } from "@/lib/users/platform-roles";
import { setUserDeactivated } from "@/lib/users/set-user-deactivated";

export const setUserDeactivatedAction = formAction({
  authorize: assertAdministersUsers,
  schema: setUserDeactivatedSchema,
  async perform(user, input) {
    const target = await setUserDeactivated(user, input);
    revalidatePath("/admin/users");
    return input.deactivated ? `Deactivated ${target.email} and ended their sessions.` : `Reactivated ${target.email}.`;
  },
});

export const setPlatformAdminAction = formAction({
  authorize: assertAdministersUsers,
  schema: setPlatformAdminSchema,
  async perform(user, input) {
    const target = await setPlatformAdmin(user, input);
    revalidatePath("/admin/users");
    return input.isPlatformAdmin ? `${target.email} is now a platform admin.` : `${target.email} is no longer a platform admin.`;
  },
});

export const setTemplateAdminAction = formAction({
  authorize: assertAdministersUsers,
  schema: setTemplateAdminSchema,
  async perform(user, input) {
    const target = await setTemplateAdmin(user, input);
    revalidatePath("/admin/users");
    return input.isTemplateAdmin ? `${target.email} is now a template admin.` : `${target.email} is no longer a template admin.`;
  },
});
