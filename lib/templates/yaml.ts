import { CST, isNode, Lexer, LineCounter, parseDocument, stringify, type Document } from "yaml";
import { describeIssue, issuesFromZod, type TemplateIssue } from "./issues";
import { safeParseTemplateSpec, type TemplateSpec } from "./spec";

// Template specs as YAML: the built-in files in k8s/templates and the admin
// editor's YAML view. Errors name the field and the line it is on.
//
// Reading YAML is bounded three ways, each checked before the costly step it
// guards: the length of the text, how deeply it nests (the parser recurses
// once per level: a 100 KB `[[[[…` costs over a second and ends in a stack
// overflow) and how far its aliases expand (a "billion laughs" document is a
// few lines long).

/** Larger than any sensible template (the built-in ones are under 4 KiB); keeps a pasted blob from tying up the server. */
export const MAX_TEMPLATE_YAML_LENGTH = 64 * 1024;
/** Far deeper than any template needs: they nest about five levels. */
export const MAX_TEMPLATE_YAML_DEPTH = 32;
/**
 * How many alias expansions turning the document into data may make (the
 * yaml library's default, named because it is what stops an alias bomb).
 */
const MAX_ALIAS_COUNT = 100;

export type TemplateParseResult = { ok: true; spec: TemplateSpec } | { ok: false; issues: TemplateIssue[] };

export type YamlReadResult =
  | { ok: true; document: Document; lineCounter: LineCounter; /** The document as plain data. */ value: unknown }
  | { ok: false; issues: TemplateIssue[] };

const refused = (message: string): YamlReadResult => ({ ok: false, issues: [{ path: "", message }] });

/**
 * Whether the YAML nests deeper than `limit`, judged from its tokens without
 * parsing it, and stopping at the first token past the limit. Flow
 * collections count by their brackets, block ones by the columns their
 * entries start at. A sequence written at its parent key's column shares
 * that column, so the real depth may be up to twice the count: still far
 * from what troubles the parser.
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  let flow = 0;
  /** Columns of the open block collections, innermost last. */
  const blocks: number[] = [];
  const enterBlock = (column: number) => {
    while (blocks.length > 0 && blocks.at(-1)! > column) blocks.pop();
    if (blocks.at(-1) !== column) blocks.push(column);
  };
  let column = 0;
  /** Where the node that a `:` makes a key started on this line; -1 before it. */
  let keyColumn = -1;
  let scalarSource = false;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    // Markers the lexer adds, not text from the source.
    if (type === "doc-mode" || type === "flow-error-end" || type === "byte-order-mark") continue;
    if (type === "scalar") {
      scalarSource = true;
      continue;
    }
    const at = column;
    const newline = token.lastIndexOf("\n");
    column = newline === -1 ? column + token.length : token.length - newline - 1;
    if (scalarSource) {
      // A scalar's text, which may look like anything (a block scalar's "[[ -f x ]]").
      scalarSource = false;
      if (keyColumn === -1) keyColumn = at;
      continue;
    }
    switch (type) {
      case "newline":
        keyColumn = -1;
        break;
      case "flow-map-start":
      case "flow-seq-start":
        flow += 1;
        if (keyColumn === -1) keyColumn = at;
        break;
      case "flow-map-end":
      case "flow-seq-end":
        flow = Math.max(0, flow - 1);
        break;
      case "seq-item-ind":
      case "explicit-key-ind":
        if (flow === 0) enterBlock(at);
        keyColumn = -1;
        break;
      case "map-value-ind":
        if (flow === 0) enterBlock(keyColumn === -1 ? at : keyColumn);
        keyColumn = -1;
        break;
      case "doc-start":
        blocks.length = 0;
        flow = 0;
        break;
      case "space":
      case "comment":
        break;
      default:
        // Quoted scalars, anchors, tags, aliases: a node (or its key) starts here.
        if (keyColumn === -1) keyColumn = at;
    }
    if (blocks.length + flow > limit) return true;
  }
  return false;
}

/** Parses YAML text into a document and its data, reporting syntax errors with their lines. */
export function readYamlDocument(text: string): YamlReadResult {
  if (text.length > MAX_TEMPLATE_YAML_LENGTH) return refused(`is longer than ${MAX_TEMPLATE_YAML_LENGTH.toLocaleString("en")} characters`);
  if (nestsDeeperThan(text, MAX_TEMPLATE_YAML_DEPTH)) return refused(`nests deeper than ${MAX_TEMPLATE_YAML_DEPTH} levels`);
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
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // Expanding the aliases went past the limit, or an alias names no anchor before it.
    if (error instanceof ReferenceError) return refused(`YAML aliases: ${error.message}`);
    throw error;
  }
  return { ok: true, document, lineCounter, value };
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
function specFromDocument({ document, lineCounter, value: raw }: Extract<YamlReadResult, { ok: true }>): TemplateParseResult {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: "", message: "expected a mapping of template fields (slug, name, image, …)", line: 1 }] };
  }
  const parsed = safeParseTemplateSpec(raw);
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
  return read.ok ? specFromDocument(read) : read;
}

/** The spec as YAML, fields in the schema's order, long strings never folded. */
export function specToYaml(spec: TemplateSpec): string {
  return stringify(spec, { lineWidth: 0 });
}

/** One line per issue, for logs and thrown errors. */
export function describeIssues(issues: readonly TemplateIssue[]): string {
  return issues.map(describeIssue).join("\n");
}
