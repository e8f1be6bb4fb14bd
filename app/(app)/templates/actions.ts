"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";

import { formAction } from "@/lib/forms/form-action";
import { flagSchema, idSchema } from "@/lib/schemas/fields";
import { assertManagesTemplates } from "@/lib/templates/access";
import { setTemplateArchived } from "@/lib/templates/catalog";
import { saveTemplateFromEditor, templateEditorForm } from "@/lib/templates/save-from-editor";

export const setTemplateArchivedAction = formAction({
  authorize: assertManagesTemplates,
  schema: z.object({ templateId: idSchema, archived: flagSchema }),
  async perform(user, input) {
    const template = await setTemplateArchived(user, input);
    revalidatePath("/templates");
    revalidatePath(`/templates/${template.slug}`);
    return input.archived ? `Archived ${template.name}.` : `Restored ${template.name}.`;
  },
});

/** Saves the template editor as a new version, then opens the template's page. */
export const saveTemplateAction = formAction({
  ...templateEditorForm,
  async perform(user, input) {
    const saved = await saveTemplateFromEditor(user, input);
    revalidatePath("/templates");
    revalidatePath(`/templates/${saved.slug}`);
    redirect(`/templates/${saved.slug}?saved=${saved.version}`);
  },
});
