import { isMap, type Document } from "yaml";
import { formatPath, type TemplateIssue } from "./issues";
import { readYamlDocument } from "./yaml";

// The template editor's form, as plain strings, and its two-way mapping to
// the YAML of the whole spec. The form covers the everyday fields; the YAML
// carries everything (parameters, IDE, scheduling). Applying the form edits
// the YAML document in place, so comments and the fields the form doesn't
// show are kept. Used by the editor in the browser and by the server action.

const RESOURCES = ["cpu", "memory", "disk"] as const;
type ResourceField = (typeof RESOURCES)[number];
const RESOURCE_KEYS: Record<ResourceField, string> = { cpu: "cpu", memory: "memoryGiB", disk: "diskGiB" };
const CHOICE_PARTS = ["Options", "Min", "Max", "Default"] as const;

export const TEMPLATE_FORM_FIELDS = [
  "slug",
  "name",
  "description",
  "icon",
  "tags",
  "image",
  ...RESOURCES.flatMap((resource) => CHOICE_PARTS.map((part) => `${resource}${part}` as const)),
  "idleTimeoutMinutes",
  "maxLifetimeHours",
  "startupScript",
  "env",
] as const;

export type TemplateFormField = (typeof TEMPLATE_FORM_FIELDS)[number];
export type TemplateFormValues = Record<TemplateFormField, string>;

/** Where an issue is shown: next to a form field, or with the YAML when the form has no field for it. */
export type IssueTarget = TemplateFormField | "yaml";

/** Browsers submit textarea line breaks as CRLF. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

const asString = (value: unknown): string => (typeof value === "string" || typeof value === "number" ? String(value) : "");
const asNumbers = (value: unknown): string => (Array.isArray(value) ? value.map(asString).join(", ") : "");

/** The form's values for a spec (or any partial, even invalid, spec-like object). */
export function formValuesFromSpec(spec: unknown): TemplateFormValues {
  const record = (value: unknown): Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const root = record(spec);
  const resources = record(root.resources);
  const values = {
    slug: asString(root.slug),
    name: asString(root.name),
    description: asString(root.description),
    icon: asString(root.icon),
    tags: Array.isArray(root.tags) ? root.tags.map(asString).join(", ") : "",
    image: asString(root.image),
    idleTimeoutMinutes: asString(root.idleTimeoutMinutes),
    maxLifetimeHours: asString(root.maxLifetimeHours),
    startupScript: asString(root.startupScript),
    env: Object.entries(record(root.env))
      .map(([name, value]) => `${name}=${asString(value)}`)
      .join("\n"),
  } as TemplateFormValues;
  for (const resource of RESOURCES) {
    const choice = record(resources[RESOURCE_KEYS[resource]]);
    values[`${resource}Options`] = asNumbers(choice.options);
    values[`${resource}Min`] = asString(choice.min);
    values[`${resource}Max`] = asString(choice.max);
    values[`${resource}Default`] = asString(choice.default);
  }
  return values;
}

/** A number when the text is one; the text itself otherwise, so the schema reports it at its field. */
function numberOrText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

function listOf(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** KEY=VALUE per line; blank lines and # comments are skipped. */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of normalizeNewlines(text).split("\n")) {
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    const equals = line.indexOf("=");
    if (equals === -1) env[line.trim()] = "";
    else env[line.slice(0, equals).trim()] = line.slice(equals + 1);
  }
  return env;
}

function setOrDelete(document: Document, path: string[], value: unknown): void {
  if (value === undefined) {
    if (document.hasIn(path)) document.deleteIn(path);
  } else {
    document.setIn(path, document.createNode(value, { flow: Array.isArray(value) }));
  }
}

export type ApplyResult = { ok: true; yaml: string } | { ok: false; issues: TemplateIssue[] };

/**
 * The YAML with the form's values written into it. Fields missing from
 * `values` are left as they are in the YAML.
 */
export function applyFormValues(yamlText: string, values: Partial<TemplateFormValues>): ApplyResult {
  const read = readYamlDocument(normalizeNewlines(yamlText));
  if (!read.ok) return read;
  const { document } = read;
  if (!isMap(document.contents)) document.contents = document.createNode({});

  const text = (field: TemplateFormField, path: string[], { optional = false, multiline = false } = {}) => {
    const value = values[field];
    if (value === undefined) return;
    const cleaned = multiline ? normalizeNewlines(value) : value.trim();
    setOrDelete(document, path, optional && cleaned === "" ? undefined : cleaned);
  };
  text("slug", ["slug"]);
  text("name", ["name"]);
  text("description", ["description"], { multiline: true });
  text("icon", ["icon"], { optional: true });
  text("image", ["image"]);
  text("startupScript", ["startupScript"], { multiline: true });
  if (values.tags !== undefined) setOrDelete(document, ["tags"], listOf(values.tags));
  if (values.env !== undefined) setOrDelete(document, ["env"], parseEnvLines(values.env));
  if (values.idleTimeoutMinutes !== undefined) setOrDelete(document, ["idleTimeoutMinutes"], numberOrText(values.idleTimeoutMinutes));
  if (values.maxLifetimeHours !== undefined) setOrDelete(document, ["maxLifetimeHours"], numberOrText(values.maxLifetimeHours));

  for (const resource of RESOURCES) {
    const base = ["resources", RESOURCE_KEYS[resource]];
    const options = values[`${resource}Options`];
    if (options !== undefined) {
      const items = listOf(options).map((item) => numberOrText(item));
      setOrDelete(document, [...base, "options"], items.length > 0 ? items : undefined);
    }
    for (const part of ["Min", "Max", "Default"] as const) {
      const value = values[`${resource}${part}`];
      if (value !== undefined) setOrDelete(document, [...base, part.toLowerCase()], numberOrText(value));
    }
  }
  return { ok: true, yaml: document.toString({ lineWidth: 0 }) };
}

/** The form field an issue at this spec path belongs next to. */
export function fieldForPath(path: string): IssueTarget {
  const [head, second, third] = path.split(/[.[]/);
  switch (head) {
    case "slug":
    case "name":
    case "description":
    case "icon":
    case "tags":
    case "image":
    case "idleTimeoutMinutes":
    case "maxLifetimeHours":
    case "startupScript":
    case "env":
      return head;
    case "resources": {
      const resource = RESOURCES.find((candidate) => RESOURCE_KEYS[candidate] === second);
      if (!resource) return "yaml";
      const part = CHOICE_PARTS.find((candidate) => candidate.toLowerCase() === third) ?? "Default";
      return `${resource}${part}`;
    }
    default:
      return "yaml";
  }
}

/** Issues grouped by where the editor shows them; YAML-bound ones keep their path and line in the text. */
export function fieldErrorsFor(issues: readonly TemplateIssue[], { yamlMode }: { yamlMode: boolean }): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of issues) {
    const target = yamlMode ? "yaml" : fieldForPath(issue.path);
    const where = [issue.path, issue.line !== undefined ? `(line ${issue.line})` : ""].filter(Boolean).join(" ");
    const message = target === "yaml" ? (where ? `${where}: ${issue.message}` : issue.message) : capitalize(issue.message);
    (errors[target] ??= []).push(message);
  }
  return errors;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export { formatPath };
