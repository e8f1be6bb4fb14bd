import { describe, expect, it } from "vitest";
import { applyFormValues } from "@/lib/templates/form";
import { STARTER_TEMPLATE_YAML } from "@/lib/templates/starter";
import { parseTemplateYaml } from "@/lib/templates/yaml";

// What a template's author reads when a spec doesn't validate: each problem
// in words about the field, not zod's ("Invalid input: expected number,
// received string", "Invalid key in record"), which the editor showed until
// the platform-operator walk.

const messages = (yaml: string) => {
  const parsed = parseTemplateYaml(yaml);
  return parsed.ok ? [] : parsed.issues.map(({ path, message }) => `${path}: ${message}`);
};

describe("a template spec's validation messages", () => {
  it("say which required fields are missing", () => {
    expect(messages("slug: rust\nname: Rust\n")).toEqual(["image: is required", "resources: is required", "ide: is required"]);
  });

  it("say what a field must be, and what it was, for the form's values", () => {
    const applied = applyFormValues(STARTER_TEMPLATE_YAML, { slug: "rust", name: "", cpuOptions: "1, two, -4", env: "GOOD=1\n=x\n" });
    if (!applied.ok) throw new Error("the form's values apply");
    expect(messages(applied.yaml)).toEqual([
      "name: must not be empty",
      'resources.cpu.options[1]: must be a number, not "two"',
      "resources.cpu.options[2]: must be more than 0",
      'env.: "" is not a valid name: letters, digits and underscores, not starting with a digit',
    ]);
  });

  it("keep the schema's own messages", () => {
    expect(messages(STARTER_TEMPLATE_YAML.replace('slug: ""', "slug: Rust Lang!"))).toContain("slug: lowercase letters, digits and dashes, at most 40");
  });
});
