"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";

import { requireUser } from "@/lib/auth/current-user";
import { AppError } from "@/lib/errors";
import type { ActionState } from "@/lib/forms/action-state";
import { runAction } from "@/lib/forms/run-action";
import { flagSchema, idSchema } from "@/lib/schemas/fields";
import { saveTemplate, setTemplateArchived, TemplateSpecError } from "@/lib/templates/catalog";
import { applyFormValues, fieldErrorsFor, normalizeNewlines, TEMPLATE_FORM_FIELDS, type TemplateFormValues } from "@/lib/templates/form";
import { parseTemplateYaml } from "@/lib/templates/yaml";

const setTemplateArchivedSchema = z.object({ templateId: idSchema, archived: flagSchema });

export async function setTemplateArchivedAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(setTemplateArchivedSchema, formData, async (input) => {
    const template = await setTemplateArchived(user, input);
    revalidatePath("/templates");
    revalidatePath(`/templates/${template.slug}`);
    return input.archived ? `Archived ${template.name}.` : `Restored ${template.name}.`;
  });
}

const text = (formData: FormData, name: string): string => {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
};

/**
 * Saves the editor: in YAML mode the YAML is the whole spec; in form mode
 * the form's fields are written over it first. Either way the result is
 * validated and stored as a new version, then the browser goes to the
 * template's page. Problems come back per form field, or with their line in
 * the YAML.
 */
export async function saveTemplateAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  const yamlMode = text(formData, "mode") === "yaml";
  const editing = text(formData, "templateSlug") || undefined;
  const changelog = text(formData, "changelog");
  let yaml = normalizeNewlines(text(formData, "yaml"));

  if (!yamlMode) {
    const values: Partial<TemplateFormValues> = {};
    for (const field of TEMPLATE_FORM_FIELDS) {
      if (formData.has(field)) values[field] = text(formData, field);
    }
    // A template's slug is fixed once created.
    if (editing) values.slug = editing;
    const applied = applyFormValues(yaml, values);
    if (!applied.ok) return invalid(applied.issues, true);
    yaml = applied.yaml;
  }

  const parsed = parseTemplateYaml(yaml);
  if (!parsed.ok) return invalid(parsed.issues, yamlMode);

  let saved;
  try {
    saved = await saveTemplate(user, parsed.spec, changelog, { slug: editing });
  } catch (error) {
    if (error instanceof TemplateSpecError) return invalid(error.issues, yamlMode);
    if (!(error instanceof AppError)) throw error;
    const field = error.field && (yamlMode ? "yaml" : error.field);
    return { status: "error", message: error.message, fieldErrors: field ? { [field]: [error.message] } : undefined };
  }
  revalidatePath("/templates");
  revalidatePath(`/templates/${saved.slug}`);
  redirect(`/templates/${saved.slug}?saved=${saved.version}`);
}

function invalid(issues: Parameters<typeof fieldErrorsFor>[0], yamlMode: boolean): ActionState {
  return {
    status: "error",
    message: `Not saved: ${issues.length === 1 ? "1 problem" : `${issues.length} problems`} to fix, shown ${yamlMode ? "under the YAML" : "next to the fields"}.`,
    fieldErrors: fieldErrorsFor(issues, { yamlMode }),
  };
}
