"use server";

import { revalidatePath } from "next/cache";

import { requireUser } from "@/lib/auth/current-user";
import type { ActionState } from "@/lib/forms/action-state";
import { runAction } from "@/lib/forms/run-action";
import { setPlatformAdminSchema, setUserDeactivatedSchema } from "@/lib/schemas/users";
import { setPlatformAdmin } from "@/lib/users/set-platform-admin";
import { setTemplateAdmin, setTemplateAdminSchema } from "@/lib/users/set-template-admin";
import { setUserDeactivated } from "@/lib/users/set-user-deactivated";

export async function setUserDeactivatedAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(setUserDeactivatedSchema, formData, async (input) => {
    const target = await setUserDeactivated(user, input);
    revalidatePath("/admin/users");
    return input.deactivated ? `Deactivated ${target.email} and ended their sessions.` : `Reactivated ${target.email}.`;
  });
}

export async function setPlatformAdminAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(setPlatformAdminSchema, formData, async (input) => {
    const target = await setPlatformAdmin(user, input);
    revalidatePath("/admin/users");
    return input.isPlatformAdmin ? `${target.email} is now a platform admin.` : `${target.email} is no longer a platform admin.`;
  });
}

export async function setTemplateAdminAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(setTemplateAdminSchema, formData, async (input) => {
    const target = await setTemplateAdmin(user, input);
    revalidatePath("/admin/users");
    return input.isTemplateAdmin ? `${target.email} is now a template admin.` : `${target.email} is no longer a template admin.`;
  });
}
