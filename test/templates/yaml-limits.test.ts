import { describe, expect, it } from "vitest";
import { applyFormValues } from "@/lib/templates/form";
import { MAX_TEMPLATE_YAML_DEPTH, MAX_TEMPLATE_YAML_LENGTH, parseTemplateYaml, readYamlDocument } from "@/lib/templates/yaml";

// Template YAML comes from template admins' browsers, so reading it is
// bounded: hostile documents get a plain validation issue, never an
// exception (an HTTP 500) or seconds of parsing.

const MINIMAL = `slug: demo
name: Demo
image: ubuntu:24.04
resources:
  cpu: &choice
    options: [1, 2]
    default: 2
  memoryGiB: *choice
  diskGiB:
    min: 5
    max: 50
    default: 10
ide:
  command: ["code-server", "--bind-addr", "{host}:{port}"]
`;

/** "Billion laughs": each anchor is nine of the one before; 9^12 items in a few lines. */
function aliasBomb(): string {
  let text = "slug: bomb\na: &a [x, x, x, x, x, x, x, x, x]\n";
  for (let level = 1; level < 12; level++) {
    const [name, previous] = [String.fromCharCode(97 + level), String.fromCharCode(96 + level)];
    text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]\n`;
  }
  return text;
}

const issuesOf = (text: string) => {
  const result = parseTemplateYaml(text);
  return result.ok ? [] : result.issues;
};

describe("reading template YAML", () => {
  it("refuses an alias bomb with an issue instead of throwing, and expands ordinary aliases", () => {
    expect(issuesOf(aliasBomb())).toEqual([{ path: "", message: expect.stringMatching(/^YAML aliases: .*alias count/) }]);
    // The editor's form reads the YAML the same way before writing its fields into it.
    expect(applyFormValues(aliasBomb(), { name: "Bomb" })).toMatchObject({ ok: false, issues: [{ message: expect.stringMatching(/^YAML aliases/) }] });
    expect(parseTemplateYaml(MINIMAL)).toMatchObject({ ok: true, spec: { resources: { memoryGiB: { options: [1, 2], default: 2 } } } });
  });

  it("refuses nesting deeper than the limit before parsing, in flow and block style, and only nesting", () => {
    const tooDeep = `nests deeper than ${MAX_TEMPLATE_YAML_DEPTH} levels`;
    for (const text of [
      "[".repeat(30_000) + "]".repeat(30_000),
      `slug: x\nenv: ${"{a: ".repeat(10_000)}1${"}".repeat(10_000)}\n`,
      `${"- ".repeat(30_000)}x\n`,
      Array.from({ length: 200 }, (_, depth) => `${" ".repeat(depth)}k${depth}:`).join("\n"),
    ]) {
      expect(issuesOf(text)).toEqual([{ path: "", message: tooDeep }]);
    }
    // The root mapping is one level, so 31 brackets under it are the most allowed.
    const nested = (levels: number) => `x: ${"[".repeat(levels)}${"]".repeat(levels)}\n`;
    expect(readYamlDocument(nested(MAX_TEMPLATE_YAML_DEPTH - 1)).ok).toBe(true);
    expect(readYamlDocument(nested(MAX_TEMPLATE_YAML_DEPTH))).toEqual({ ok: false, issues: [{ path: "", message: tooDeep }] });

    // Brackets in scalars are text, not nesting: scripts and strings full of them pass.
    const script = `${MINIMAL}startupScript: |\n  if [[ -f ~/.bashrc ]]; then echo "{[("; fi\n  echo '${"]".repeat(40)}'\nenv: {A: "${"[".repeat(40)}"}\n`;
    expect(parseTemplateYaml(script)).toMatchObject({ ok: true, spec: { env: { A: "[".repeat(40) } } });
  });

  it("refuses text longer than 64 KiB", () => {
    const padded = (length: number) => `${MINIMAL}description: ${"x".repeat(length - MINIMAL.length - "description: \n".length)}\n`;
    expect(padded(MAX_TEMPLATE_YAML_LENGTH).length).toBe(64 * 1024);
    expect(issuesOf(padded(MAX_TEMPLATE_YAML_LENGTH))).not.toContainEqual(expect.objectContaining({ message: expect.stringMatching(/longer than/) }));
    expect(issuesOf(padded(MAX_TEMPLATE_YAML_LENGTH + 1))).toEqual([{ path: "", message: "is longer than 65,536 characters" }]);
  });
});
