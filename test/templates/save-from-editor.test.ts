import { beforeAll, describe, expect, it } from "vitest";
import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { runFormAction } from "@/lib/forms/form-action";
import { saveTemplateFromEditor, templateEditorForm } from "@/lib/templates/save-from-editor";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, createUser } from "../helpers/identity";

// The template editor's save as its server action takes it: the action
// layer's checks in their order (lib/forms/form-action.ts), then the
// editor's YAML. Only template admins' YAML is ever parsed.

useAppDatabase();

const SPEC = `slug: editor-demo
name: Editor demo
image: ubuntu:24.04
resources:
  cpu: {options: [1, 2], default: 2}
  memoryGiB: {default: 4}
  diskGiB: {default: 10}
ide:
  command: ["code-server", "--bind-addr", "{host}:{port}"]
`;

/** "Billion laughs": each anchor is nine of the one before; 9^12 items in a few lines. */
function aliasBomb(): string {
  let text = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (let level = 1; level < 12; level++) {
    const [name, previous] = [String.fromCharCode(97 + level), String.fromCharCode(96 + level)];
    text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]\n`;
  }
  return text;
}

/** What froze the server: 98 KB of nested YAML. */
const NESTED = `slug: x\nenv: ${"{a: ".repeat(19_600)}1${"}".repeat(19_600)}\n`;

const save = (user: CurrentUser, fields: Record<string, string>) => {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  return runFormAction(
    user,
    {
      ...templateEditorForm,
      perform: async (actor, input) => {
        const saved = await saveTemplateFromEditor(actor, input);
        return `Saved ${saved.slug} version ${saved.version}.`;
      },
    },
    form,
  );
};

describe("saving the template editor", () => {
  let member: CurrentUser;
  let admin: CurrentUser;
  beforeAll(async () => {
    member = await actorFor(await createUser("member@editor.test"));
    admin = await actorFor(await getDb().user.create({ data: { email: "admin@editor.test", isTemplateAdmin: true } }));
  });

  it("refuses anyone but template admins before their YAML is read, whatever it holds", async () => {
    const refused = { status: "error", message: "Only template admins can change templates." };
    // An alias bomb, the nesting that froze the server, a blob far over the limit, a YAML syntax error:
    // each would answer differently if it were parsed, or even measured.
    for (const yaml of [aliasBomb(), NESTED, "x".repeat(1024 * 1024), "slug: [unclosed\n"]) {
      expect(await save(member, { mode: "yaml", yaml })).toEqual(refused);
      expect(await save(member, { mode: "form", yaml, name: "Bomb" })).toEqual(refused);
    }
    // The domain function refuses first too, for callers other than the form.
    await expect(saveTemplateFromEditor(member, { mode: "yaml", yaml: aliasBomb(), changelog: "" } as never)).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(await getDb().template.count()).toBe(0);
  });

  it("answers a template admin's alias bomb with an error under the YAML, in either mode", async () => {
    const yamlMode = await save(admin, { mode: "yaml", yaml: aliasBomb() });
    expect(yamlMode).toMatchObject({
      status: "error",
      message: "Not saved: 1 problem to fix, shown under the YAML.",
      fieldErrors: { yaml: [expect.stringMatching(/^YAML aliases: .*alias count/)] },
    });
    const formMode = await save(admin, { mode: "form", yaml: aliasBomb(), name: "Bomb" });
    expect(formMode).toMatchObject({ status: "error", fieldErrors: { yaml: [expect.stringMatching(/^YAML aliases/)] } });
  });

  it("refuses a template admin's YAML over 64 KiB, or nested too deeply, at the YAML field", async () => {
    expect(await save(admin, { mode: "yaml", yaml: `${SPEC}description: ${"x".repeat(64 * 1024)}\n` })).toMatchObject({
      status: "error",
      fieldErrors: { yaml: ["Too long: at most 64 KiB."] },
    });
    expect(await save(admin, { mode: "yaml", yaml: NESTED.slice(0, 60_000) })).toMatchObject({
      status: "error",
      fieldErrors: { yaml: ["nests deeper than 32 levels"] },
    });
  });

  it("saves a template admin's YAML, and the form's fields written over it, as versions", async () => {
    expect(await save(admin, { mode: "yaml", yaml: SPEC, changelog: "First" })).toEqual({ status: "ok", message: "Saved editor-demo version 1." });
    expect(await save(admin, { mode: "form", yaml: SPEC, templateSlug: "editor-demo", name: "Renamed", slug: "ignored" })).toEqual({
      status: "ok",
      message: "Saved editor-demo version 2.",
    });
    expect(await getDb().template.findUniqueOrThrow({ where: { slug: "editor-demo" } })).toMatchObject({ name: "Renamed" });
  });
});
