import { isNode, LineCounter, parseDocument, stringify, type Document } from "yaml";
import { describeIssue, issuesFromZod, type TemplateIssue } from "./issues";
import { templateSpec, type TemplateSpec } from "./spec";

// Template specs as YAML: the built-in files in k8s/templates and the admin
// editor's YAML view. Errors name the field and the line it is on.

/** Larger than any sensible template; keeps a pasted blob from tying up the server. */
export const MAX_TEMPLATE_YAML_LENGTH = 100_000;

export type TemplateParseResult = { ok: true; spec: TemplateSpec } | { ok: false; issues: TemplateIssue[] };

export type YamlReadResult = { ok: true; document: Document; lineCounter: LineCounter } | { ok: false; issues: TemplateIssue[] };

/** Parses YAML text into a document, reporting syntax errors with their lines. */
export function readYamlDocument(text: string): YamlReadResult {
  if (text.length > MAX_TEMPLATE_YAML_LENGTH) {
    return { ok: false, issues: [{ path: "", message: `is longer than ${MAX_TEMPLATE_YAML_LENGTH} characters` }] };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => ({
        path: "",
        // Pretty messages end their first line with " at line 3, column 7:"; the line is reported on its own.
        message: `YAML syntax: ${error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
        line: error.linePos?.[0]?.line,
      })),
    };
  }
  return { ok: true, document, lineCounter };
}

/** The line of the deepest node on `path` that exists in the document (not the root). */
function lineOf(document: Document, lineCounter: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let depth = path.length; depth > 0; depth--) {
    const node = document.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Validates a parsed YAML document against the template schema. */
export function specFromDocument(document: Document, lineCounter: LineCounter): TemplateParseResult {
  const raw: unknown = document.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: "", message: "expected a mapping of template fields (slug, name, image, …)", line: 1 }] };
  }
  const parsed = templateSpec.safeParse(raw);
  if (parsed.success) return { ok: true, spec: parsed.data };
  const issues = issuesFromZod(parsed.error).map((issue, index) => ({
    ...issue,
    line: lineOf(document, lineCounter, parsed.error.issues[index]!.path),
  }));
  return { ok: false, issues };
}

/** Parses and validates a template spec written as YAML. */
export function parseTemplateYaml(text: string): TemplateParseResult {
  const read = readYamlDocument(text);
  return read.ok ? specFromDocument(read.document, read.lineCounter) : read;
}

/** The spec as YAML, fields in the schema's order, long strings never folded. */
export function specToYaml(spec: TemplateSpec): string {
  return stringify(spec, { lineWidth: 0 });
}

/** One line per issue, for logs and thrown errors. */
export function describeIssues(issues: readonly TemplateIssue[]): string {
  return issues.map(describeIssue).join("\n");
}
