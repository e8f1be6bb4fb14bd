import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parameterEnv } from "@/lib/templates/environment";
import { applyFormValues, fieldErrorsFor, fieldForPath, formValuesFromSpec } from "@/lib/templates/form";
import { defaultParameters } from "@/lib/templates/parameters";
import { BuiltInTemplateError, loadBuiltInTemplates } from "@/lib/templates/seed";
import { parseTemplateYaml, specToYaml } from "@/lib/templates/yaml";

// The built-in template files, and how YAML and form input are validated:
// every problem names its field, and YAML problems their line.

const MINIMAL = `slug: demo
name: Demo
image: ubuntu:24.04
resources:
  cpu:
    options: [1, 2]
    default: 2
  memoryGiB:
    default: 4
  diskGiB:
    min: 5
    max: 50
    default: 10
ide:
  command: ["code-server", "--bind-addr", "{host}:{port}"]
`;

describe("the built-in templates in k8s/templates", () => {
  it("all validate, with unique slugs, and are the four the catalog promises", async () => {
    const templates = await loadBuiltInTemplates();
    expect(templates.map((t) => t.spec.slug).sort()).toEqual(["go", "node", "python", "universal"]);
    for (const { file, spec } of templates) {
      expect(file, "the file is named after the slug").toBe(`${spec.slug}.yaml`);
      expect(spec.ide.command[0], "the local runtime swaps in its own code-server for this").toBe("code-server");
      expect(spec.ide.command).toEqual(expect.arrayContaining(["{host}:{port}", "--auth", "none", "/home/coder"]));
      expect(spec.ide).toMatchObject({ port: 13337, healthPath: "/healthz" });
      expect(spec.image).toMatch(/:[\w.-]+$/);
      expect(spec.image).not.toMatch(/:latest$/);
      expect(spec.resources.cpu.options).toEqual(expect.arrayContaining([1, 2, 4]));
      expect(spec.resources.diskGiB).toMatchObject({ min: 5 });
      expect(spec.tags.length).toBeGreaterThan(0);
      // Every template has a sensible default workspace.
      expect(defaultParameters(spec)).toMatchObject({ cpu: 2, memoryGiB: 4 });
      if (spec.slug !== "universal") {
        expect(spec.startupScript).toMatch(/command -v code-server .*\|\| curl -fsSL https:\/\/code-server\.dev\/install\.sh/);
        expect(spec.env.PATH?.split(":")).toContain("/home/coder/.local/bin");
      }
    }
  });

  it("give the Node.js template a version choice its startup script reads", async () => {
    const node = (await loadBuiltInTemplates()).find((t) => t.spec.slug === "node")!.spec;
    expect(node.parameters.find((p) => p.name === "node_version")).toMatchObject({ type: "string", default: "22", options: ["22", "24", "20"] });
    expect(node.startupScript).toContain("PODSPACE_PARAM_NODE_VERSION");
    expect(parameterEnv(defaultParameters(node).values)).toEqual({ PODSPACE_PARAM_NODE_VERSION: "22", PODSPACE_PARAM_INSTALL_EXTENSIONS: "true" });
  });

  it("refuses a directory with an invalid file, naming the file, field and line", async () => {
    const dir = await fs.mkdtemp(path.join((await import("node:os")).tmpdir(), "podspace-templates-"));
    await fs.writeFile(path.join(dir, "bad.yaml"), MINIMAL.replace("default: 2", "default: 3"));
    const error = await loadBuiltInTemplates(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuiltInTemplateError);
    expect((error as Error).message).toContain("bad.yaml");
    expect((error as Error).message).toContain("resources.cpu.default (line 7): must be one of the options");
    await fs.rm(dir, { recursive: true });
  });
});

describe("parsing template YAML", () => {
  it("accepts a minimal spec and fills in the defaults", () => {
    const result = parseTemplateYaml(MINIMAL);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec).toMatchObject({ icon: "box", tags: [], parameters: [], idleTimeoutMinutes: 60, maxLifetimeHours: 24 });
    expect(result.spec.ide).toMatchObject({ port: 13337, healthPath: "/healthz" });
    // And round-trips through the YAML the editor shows.
    expect(parseTemplateYaml(specToYaml(result.spec))).toEqual(result);
  });

  it("reports schema problems with their field path and line", () => {
    const text = MINIMAL.replace("default: 2", "default: 3").replace("image: ubuntu:24.04", "image: Not An Image!").replace("max: 50", "max: 2");
    const result = parseTemplateYaml(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual(
      expect.arrayContaining([
        { path: "resources.cpu.default", message: "must be one of the options", line: 7 },
        { path: "image", message: expect.stringMatching(/expected an image reference/), line: 3 },
        { path: "resources.diskGiB.default", message: "is above max", line: 13 },
        { path: "resources.diskGiB.max", message: "must not be below min", line: 12 },
      ]),
    );
  });

  it("points at the parent when a field is missing, and names list items by index", () => {
    const text = `${MINIMAL}parameters:\n  - name: Bad Name\n    label: X\n    type: string\n`;
    const missing = parseTemplateYaml(text.replace("    default: 4\n", "    min: 1\n"));
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    expect(missing.issues).toContainEqual({ path: "resources.memoryGiB.default", message: expect.any(String), line: 9 });
    expect(missing.issues).toContainEqual({ path: "parameters[0].name", message: expect.stringMatching(/lowercase/), line: 17 });
  });

  it("reports YAML syntax errors with their line", () => {
    const result = parseTemplateYaml("slug: demo\nname: [unclosed\nimage: x\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ path: "", message: expect.stringMatching(/^YAML syntax: /) });
    expect(result.issues[0]!.line).toBeGreaterThanOrEqual(2);

    const duplicate = parseTemplateYaml("slug: a\nslug: b\n");
    expect(duplicate).toMatchObject({ ok: false, issues: [{ line: 2, message: expect.stringMatching(/unique/i) }] });
    expect(parseTemplateYaml("- just\n- a list\n")).toMatchObject({ ok: false, issues: [{ path: "", message: expect.stringMatching(/mapping/) }] });
  });
});

describe("the editor's form", () => {
  it("writes its fields into the YAML, keeping comments and the fields it doesn't show", () => {
    const withComment = `# keep me\n${MINIMAL}parameters:\n  - name: flavour\n    label: Flavour\n    type: string\n`;
    const values = formValuesFromSpec(parseTemplateYaml(withComment).ok ? (parseTemplateYaml(withComment) as { spec: unknown }).spec : {});
    expect(values).toMatchObject({ slug: "demo", cpuOptions: "1, 2", cpuDefault: "2", diskMin: "5", diskMax: "50", memoryOptions: "" });

    const applied = applyFormValues(withComment, {
      ...values,
      name: "Demo 2",
      tags: "go, , web",
      cpuOptions: "",
      cpuMin: "1",
      cpuMax: "8",
      cpuDefault: "4",
      env: "FOO=bar=baz\r\n\r\n# comment\r\nEMPTY",
      startupScript: "echo one\r\necho two",
    });
    expect(applied.ok).toBe(true);
    if (!applied.ok) return;
    expect(applied.yaml).toContain("# keep me");
    const parsed = parseTemplateYaml(applied.yaml);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.spec).toMatchObject({
      name: "Demo 2",
      tags: ["go", "web"],
      resources: { cpu: { min: 1, max: 8, default: 4 } },
      env: { FOO: "bar=baz", EMPTY: "" },
      startupScript: "echo one\necho two",
      parameters: [{ name: "flavour" }],
    });
    expect(parsed.spec.resources.cpu.options).toBeUndefined();
  });

  it("lets the schema report bad numbers at their own field", () => {
    const applied = applyFormValues(MINIMAL, { cpuDefault: "lots", idleTimeoutMinutes: "1", memoryOptions: "2, x" });
    expect(applied.ok).toBe(true);
    if (!applied.ok) return;
    const parsed = parseTemplateYaml(applied.yaml);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const errors = fieldErrorsFor(parsed.issues, { yamlMode: false });
    expect(Object.keys(errors).sort()).toEqual(["cpuDefault", "idleTimeoutMinutes", "memoryOptions"]);
    expect(fieldErrorsFor(parsed.issues, { yamlMode: true }).yaml?.join("\n")).toMatch(/resources\.cpu\.default \(line \d+\): /);
  });

  it("maps spec paths to form fields, and the rest to the YAML", () => {
    expect(fieldForPath("resources.cpu.default")).toBe("cpuDefault");
    expect(fieldForPath("resources.memoryGiB.options[1]")).toBe("memoryOptions");
    expect(fieldForPath("resources.diskGiB")).toBe("diskDefault");
    expect(fieldForPath("env.1BAD")).toBe("env");
    expect(fieldForPath("tags[0]")).toBe("tags");
    expect(fieldForPath("parameters[0].name")).toBe("yaml");
    expect(fieldForPath("ide.command")).toBe("yaml");
    expect(fieldForPath("")).toBe("yaml");
  });
});
