import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { ResourceChoice, TemplateParameter, TemplateSpec } from "./spec";

// The values a workspace is created with, validated against its template
// version. Stored in Workspace.parameters.

export interface WorkspaceParameters {
  cpu: number;
  memoryGiB: number;
  diskGiB: number;
  values: Record<string, string | number | boolean>;
}

function resourceSchema(label: string, choice: ResourceChoice) {
  const number = z.coerce.number({ error: `${label} must be a number` });
  if (choice.options) {
    return number.refine((value) => choice.options!.includes(value), { error: `${label} must be one of ${choice.options.join(", ")}` });
  }
  return number
    .min(choice.min ?? 0.1, { error: `${label} must be at least ${choice.min ?? 0.1}` })
    .max(choice.max ?? Number.MAX_SAFE_INTEGER, { error: `${label} must be at most ${choice.max}` });
}

function parameterSchema(parameter: TemplateParameter): z.ZodType<string | number | boolean> {
  switch (parameter.type) {
    case "string": {
      let schema = z.string();
      if (parameter.pattern) schema = schema.regex(new RegExp(parameter.pattern), { error: `${parameter.label} has the wrong format` });
      return parameter.options
        ? schema.refine((value) => parameter.options!.includes(value), { error: `${parameter.label} must be one of ${parameter.options.join(", ")}` })
        : schema;
    }
    case "number": {
      let schema = z.coerce.number({ error: `${parameter.label} must be a number` });
      if (parameter.min !== undefined) schema = schema.min(parameter.min, { error: `${parameter.label} must be at least ${parameter.min}` });
      if (parameter.max !== undefined) schema = schema.max(parameter.max, { error: `${parameter.label} must be at most ${parameter.max}` });
      return schema;
    }
    case "boolean":
      // Checkboxes post "on" or nothing.
      return z.union([z.boolean(), z.enum(["on", "true", "false"]).transform((value) => value !== "false")]);
  }
}

/** Validates submitted parameters (form strings or JSON values), filling in the template's defaults. */
export function parametersSchema(spec: TemplateSpec) {
  const values = Object.fromEntries(
    spec.parameters.map((parameter) => [parameter.name, parameterSchema(parameter).default(parameter.default)]),
  );
  return z.object({
    cpu: resourceSchema("CPU", spec.resources.cpu).default(spec.resources.cpu.default),
    memoryGiB: resourceSchema("Memory", spec.resources.memoryGiB).default(spec.resources.memoryGiB.default),
    diskGiB: resourceSchema("Disk", spec.resources.diskGiB).default(spec.resources.diskGiB.default),
    // prefault, not default: an absent object is parsed, so each value's default applies.
    values: z.object(values).prefault({}),
  });
}

const RESOURCE_NAMES = ["cpu", "memoryGiB", "diskGiB"];

/**
 * Refuses parameters the template doesn't take, naming the first: parsing
 * drops keys it doesn't know, so a misspelt name (or a template parameter
 * outside `values`) would otherwise be ignored without a word.
 */
export function assertKnownParameters(spec: TemplateSpec, submitted: unknown): void {
  if (typeof submitted !== "object" || submitted === null) return;
  const names = spec.parameters.map((parameter) => parameter.name);
  const takes = `It takes ${RESOURCE_NAMES.join(", ")}${names.length > 0 ? `, and in values: ${names.join(", ")}` : ", and no values"}.`;
  const unknown = (key: string, path: string, hint = "") => new AppError("invalid", `${spec.name} has no parameter ${key}.${hint} ${takes}`, `parameters.${path}`);
  for (const key of Object.keys(submitted)) {
    if (RESOURCE_NAMES.includes(key) || key === "values") continue;
    throw unknown(key, key, names.includes(key) ? ` Put it in values: {"values": {"${key}": …}}.` : "");
  }
  const values = (submitted as { values?: unknown }).values;
  if (typeof values !== "object" || values === null) return;
  const stray = Object.keys(values).find((key) => !names.includes(key));
  if (stray !== undefined) throw unknown(stray, `values.${stray}`);
}

/** The defaults, for a form's initial values and the catalog's cost preview. */
export function defaultParameters(spec: TemplateSpec): WorkspaceParameters {
  return parametersSchema(spec).parse({}) as WorkspaceParameters;
}

/** Names of immutable parameters whose value would change. */
export function changedImmutableParameters(spec: TemplateSpec, before: WorkspaceParameters, after: WorkspaceParameters): string[] {
  const immutable = spec.parameters.filter((parameter) => !parameter.mutable).map((parameter) => parameter.name);
  return immutable.filter((name) => before.values[name] !== after.values[name]);
}
