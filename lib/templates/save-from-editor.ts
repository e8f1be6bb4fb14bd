import { z } from "zod";
import type { Actor } from "@/lib/authz";
import { AppError, FormError } from "@/lib/errors";
import type { FormActionDefinition } from "@/lib/forms/form-action";
import { assertManagesTemplates } from "./access";
import { saveTemplate, TemplateSpecError, type SavedTemplate } from "./catalog";
import { applyFormValues, fieldErrorsFor, normalizeNewlines, TEMPLATE_FORM_FIELDS, type TemplateFormField, type TemplateFormValues } from "./form";
import type { TemplateIssue } from "./issues";
import { MAX_TEMPLATE_YAML_LENGTH, parseTemplateYaml, type TemplateParseResult } from "./yaml";

// What the template editor (components/templates/template-editor.tsx) saves:
// in YAML mode the YAML is the whole spec; in form mode the form's fields are
// written over it first. Either way the result is validated and stored as a
// new version. Problems come back per form field, or with their line in the YAML.

const formFields = Object.fromEntries(TEMPLATE_FORM_FIELDS.map((field) => [field, z.string().optional()])) as Record<
  TemplateFormField,
  z.ZodOptional<z.ZodString>
>;

export const templateEditorSchema = z.object({
  ...formFields,
  mode: z.enum(["form", "yaml"]).catch("form"),
  /** The template being edited; none when creating one. */
  templateSlug: z
    .string()
    .optional()
    .transform((slug) => slug || undefined),
  changelog: z.string().default(""),
  // Browsers submit textarea line breaks as CRLF.
  yaml: z.string().default("").transform(normalizeNewlines),
});
export type TemplateEditorInput = z.output<typeof templateEditorSchema>;

/**
 * How the editor's form is taken in (see lib/forms/form-action.ts): template
 * admins only, refused before the YAML is even measured; the YAML and the
 * fields it may hold whole may be as long as the YAML may be.
 */
export const templateEditorForm = {
  authorize: assertManagesTemplates,
  limits: { yaml: MAX_TEMPLATE_YAML_LENGTH, startupScript: MAX_TEMPLATE_YAML_LENGTH, env: MAX_TEMPLATE_YAML_LENGTH },
  schema: templateEditorSchema,
} satisfies Omit<FormActionDefinition<typeof templateEditorSchema>, "perform">;

/** The spec the editor describes: its YAML, with the form's fields written in when the form is showing. */
function specFromEditor(input: TemplateEditorInput): TemplateParseResult {
  if (input.mode === "yaml") return parseTemplateYaml(input.yaml);
  const values: Partial<TemplateFormValues> = {};
  for (const field of TEMPLATE_FORM_FIELDS) if (input[field] !== undefined) values[field] = input[field];
  // A template's slug is fixed once created.
  if (input.templateSlug) values.slug = input.templateSlug;
  const applied = applyFormValues(input.yaml, values);
  return applied.ok ? parseTemplateYaml(applied.yaml) : applied;
}

function notSaved(issues: readonly TemplateIssue[], yamlMode: boolean): FormError {
  const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
  return new FormError(`Not saved: ${count} to fix, shown ${yamlMode ? "under the YAML" : "next to the fields"}.`, fieldErrorsFor(issues, { yamlMode }));
}

/**
 * Saves the editor's spec as the template's next version (or version 1 of
 * a new template). Template admins only, decided before any YAML is read.
 */
export async function saveTemplateFromEditor(actor: Actor, input: TemplateEditorInput): Promise<SavedTemplate> {
  await assertManagesTemplates(actor);
  const yamlMode = input.mode === "yaml";
  const parsed = specFromEditor(input);
  if (!parsed.ok) throw notSaved(parsed.issues, yamlMode);
  try {
    return await saveTemplate(actor, parsed.spec, input.changelog, { slug: input.templateSlug });
  } catch (error) {
    if (error instanceof TemplateSpecError) throw notSaved(error.issues, yamlMode);
    // In YAML mode the form isn't showing: a field's problem goes with the YAML.
    if (error instanceof AppError && error.field && yamlMode) throw new AppError(error.code, error.message, "yaml");
    throw error;
  }
}
