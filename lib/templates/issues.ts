import type { z } from "zod";

// Validation problems in a template spec, each naming the field it is about
// ("resources.cpu.default") and, for YAML input, the line it is on. Plain
// data, so the editor in the browser can use it too.

export interface TemplateIssue {
  /** Dotted field path, e.g. "resources.cpu.default" or "parameters[1].name"; "" for the whole spec. */
  path: string;
  message: string;
  /** 1-based line in the YAML source, when the problem can be placed there. */
  line?: number;
}

/** ["parameters", 1, "name"] → "parameters[1].name". */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === "number") return `${text}[${key}]`;
    const name = String(key);
    return text ? `${text}.${name}` : name;
  }, "");
}

/** "resources.cpu.default (line 12): must be one of the options". */
export function describeIssue(issue: TemplateIssue): string {
  const where = [issue.path, issue.line !== undefined ? `(line ${issue.line})` : ""].filter(Boolean).join(" ");
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** zod's issues as template issues, without lines. */
export function issuesFromZod(error: z.ZodError): TemplateIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}
