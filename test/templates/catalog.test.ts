import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import {
  archiveTemplate,
  getTemplate,
  listTemplateTags,
  listTemplates,
  saveTemplate,
  TemplateSpecError,
  unarchiveTemplate,
} from "@/lib/templates/catalog";
import { loadBuiltInTemplates, seedBuiltInTemplates } from "@/lib/templates/seed";
import type { TemplateSpec } from "@/lib/templates/spec";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";

useAppDatabase();

function specFor(slug: string, overrides: Partial<TemplateSpec> = {}) {
  return {
    slug,
    name: `Template ${slug}`,
    description: `The ${slug} template`,
    tags: ["test"],
    image: "ubuntu:24.04",
    resources: { cpu: { options: [1, 2, 4], default: 2 }, memoryGiB: { options: [2, 4], default: 4 }, diskGiB: { min: 5, max: 50, default: 10 } },
    ide: { command: ["code-server", "--bind-addr", "{host}:{port}"] },
    ...overrides,
  };
}

async function templateAdmin(email: string) {
  const user = await getDb().user.create({ data: { email, isTemplateAdmin: true } });
  return { user, actor: await actorFor(user) };
}

describe("seeding the built-in templates", () => {
  it("creates them once, audited, and changes nothing on the next run", async () => {
    const first = await seedBuiltInTemplates();
    expect(first.created.sort()).toEqual(["go", "node", "python", "universal"]);
    const second = await seedBuiltInTemplates();
    expect(second).toEqual({ created: [], updated: [], unchanged: expect.any(Array), skipped: [] });
    expect(second.unchanged).toHaveLength(4);

    const node = await getDb().template.findUniqueOrThrow({ where: { slug: "node" }, include: { versions: true } });
    expect(node).toMatchObject({ builtIn: true, name: "Node.js", icon: "hexagon", archivedAt: null });
    expect(node.versions).toHaveLength(1);
    expect(node.versions[0]).toMatchObject({ version: 1, createdById: null, changelog: "Built-in template from node.yaml" });
    expect(await auditLogFor(node.id)).toMatchObject([{ action: "template.created", actorId: null, targetType: "template", after: { version: 1 } }]);
  });

  it("adds a version only when a file changed, and leaves an admin's later edit alone until then", async () => {
    const original = (await loadBuiltInTemplates()).find((t) => t.spec.slug === "universal")!;
    await seedBuiltInTemplates(getDb(), { templates: [original] });

    const changed = { ...original, spec: { ...original.spec, idleTimeoutMinutes: 90 } };
    expect((await seedBuiltInTemplates(getDb(), { templates: [changed] })).updated).toEqual(["universal"]);
    expect((await seedBuiltInTemplates(getDb(), { templates: [changed] })).unchanged).toEqual(["universal"]);
    let versions = await getDb().templateVersion.findMany({ where: { template: { slug: "universal" } }, orderBy: { version: "asc" } });
    expect(versions.map((v) => [v.version, (v.spec as { idleTimeoutMinutes: number }).idleTimeoutMinutes])).toEqual([
      [1, 60],
      [2, 90],
    ]);

    // An admin edits the built-in template: seeding the same file again keeps the admin's version on top.
    const { actor } = await templateAdmin("admin@seed.test");
    await saveTemplate(actor, { ...changed.spec, maxLifetimeHours: 8 }, "Shorter lifetime", { slug: "universal" });
    expect((await seedBuiltInTemplates(getDb(), { templates: [changed] })).unchanged).toEqual(["universal"]);
    expect((await getTemplate(actor, "universal"))?.latest).toMatchObject({ version: 3, spec: { maxLifetimeHours: 8 } });

    // The file changes again: its content becomes the next version.
    const again = { ...original, spec: { ...original.spec, idleTimeoutMinutes: 30 } };
    expect((await seedBuiltInTemplates(getDb(), { templates: [again] })).updated).toEqual(["universal"]);
    versions = await getDb().templateVersion.findMany({ where: { template: { slug: "universal" } }, orderBy: { version: "asc" } });
    expect(versions).toHaveLength(4);
    expect(versions[3]).toMatchObject({ version: 4, createdById: null, spec: { idleTimeoutMinutes: 30, maxLifetimeHours: 24 } });
    const template = await getDb().template.findUniqueOrThrow({ where: { slug: "universal" } });
    expect((await auditLogFor(template.id)).map((entry) => entry.action)).toEqual([
      "template.created",
      "template.version-created",
      "template.version-created",
      "template.version-created",
    ]);
  });

  it("doesn't take over a slug an admin's own template already has", async () => {
    const { actor } = await templateAdmin("admin@skip.test");
    await saveTemplate(actor, specFor("rust"), "");
    const rust = { file: "rust.yaml", spec: { ...(await getTemplate(actor, "rust"))!.latest.spec, name: "Built-in Rust" } };
    expect((await seedBuiltInTemplates(getDb(), { templates: [rust] })).skipped).toEqual(["rust"]);
    expect(await getDb().template.findUniqueOrThrow({ where: { slug: "rust" } })).toMatchObject({ builtIn: false, name: "Template rust" });
  });
});

describe("saving templates", () => {
  it("creates version 1, then immutable new versions, each audited with before and after", async () => {
    const { user, actor } = await templateAdmin("ta@save.test");
    const created = await saveTemplate(actor, specFor("ruby"), "  ");
    expect(created).toMatchObject({ slug: "ruby", version: 1 });
    const v1 = await getDb().templateVersion.findUniqueOrThrow({ where: { id: created.versionId } });

    const next = await saveTemplate(actor, specFor("ruby", { name: "Ruby", image: "ruby:3.3" }), "Use the Ruby image", { slug: "ruby" });
    expect(next).toMatchObject({ version: 2 });
    // Version 1 is as it was.
    expect(await getDb().templateVersion.findUniqueOrThrow({ where: { id: created.versionId } })).toEqual(v1);

    const detail = await getTemplate(actor, "ruby");
    expect(detail).toMatchObject({ name: "Ruby", builtIn: false, latest: { version: 2, changelog: "Use the Ruby image", spec: { image: "ruby:3.3" } } });
    expect(detail?.latest.createdBy).toMatchObject({ id: user.id, email: "ta@save.test" });
    expect(detail?.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(detail?.versions[1]?.changelog).toBe("First version");

    const audit = await auditLogFor(created.id);
    expect(audit).toMatchObject([
      { action: "template.created", actorId: user.id, before: null, after: { version: 1, spec: { image: "ubuntu:24.04" } } },
      {
        action: "template.version-created",
        actorId: user.id,
        before: { version: 1, spec: { image: "ubuntu:24.04" } },
        after: { version: 2, spec: { image: "ruby:3.3" }, changelog: "Use the Ruby image" },
      },
    ]);
  });

  it("refuses an unchanged spec, a changed slug, a taken slug and an invalid spec, with field paths", async () => {
    const { actor } = await templateAdmin("ta@refuse.test");
    await saveTemplate(actor, specFor("java"), "");
    await expect(saveTemplate(actor, specFor("java"), "again", { slug: "java" })).rejects.toMatchObject({ code: "invalid", message: /Nothing changed since version 1/ });
    await expect(saveTemplate(actor, specFor("kotlin"), "", { slug: "java" })).rejects.toMatchObject({ code: "invalid", field: "slug" });
    await expect(saveTemplate(actor, specFor("java"), "")).rejects.toMatchObject({ code: "conflict", field: "slug" });
    await expect(saveTemplate(actor, specFor("nope"), "", { slug: "nope" })).rejects.toMatchObject({ code: "not_found" });

    const invalid = specFor("java", { resources: { ...specFor("x").resources, cpu: { options: [1, 2], default: 3 } }, idleTimeoutMinutes: 1 });
    const error = await saveTemplate(actor, invalid, "", { slug: "java" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateSpecError);
    expect((error as TemplateSpecError).issues).toEqual(
      expect.arrayContaining([
        { path: "resources.cpu.default", message: "must be one of the options" },
        { path: "idleTimeoutMinutes", message: expect.any(String) },
      ]),
    );
    expect((error as Error).message).toContain("resources.cpu.default: must be one of the options");
    expect(await getDb().templateVersion.count({ where: { template: { slug: "java" } } })).toBe(1);
  });

  it("gives two concurrent saves of one template their own version numbers", async () => {
    const { actor } = await templateAdmin("ta@race.test");
    await saveTemplate(actor, specFor("race"), "");
    const saves = await Promise.all([
      saveTemplate(actor, specFor("race", { name: "A" }), "a", { slug: "race" }),
      saveTemplate(actor, specFor("race", { name: "B" }), "b", { slug: "race" }),
    ]);
    expect(saves.map((s) => s.version).sort()).toEqual([2, 3]);
  });
});

describe("who may change templates", () => {
  it("refuses members and team owners: forbidden for a listed template, not_found for an archived one, audited nothing", async () => {
    const { actor: admin } = await templateAdmin("ta@authz.test");
    const member = await createUser("member@authz.test");
    const owner = await createUser("owner@authz.test");
    await createTeamWith("authz", [
      [member, "MEMBER"],
      [owner, "OWNER"],
    ]);
    const saved = await saveTemplate(admin, specFor("guarded"), "");

    for (const user of [member, owner]) {
      const actor = await actorFor(user);
      await expect(saveTemplate(actor, specFor("mine"), "")).rejects.toMatchObject({ code: "forbidden" });
      await expect(saveTemplate(actor, specFor("guarded", { name: "Hijacked" }), "", { slug: "guarded" })).rejects.toMatchObject({ code: "forbidden" });
      await expect(archiveTemplate(actor, saved.id)).rejects.toMatchObject({ code: "forbidden" });
    }
    await archiveTemplate(admin, saved.id);
    const memberActor = await actorFor(member);
    await expect(unarchiveTemplate(memberActor, saved.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(saveTemplate(memberActor, specFor("guarded", { name: "Hijacked" }), "", { slug: "guarded" })).rejects.toMatchObject({ code: "not_found" });
    await expect(archiveTemplate(memberActor, "no-such-id")).rejects.toMatchObject({ code: "not_found" });

    expect(await getDb().template.findUnique({ where: { slug: "mine" } })).toBeNull();
    expect((await auditLogFor(saved.id)).map((entry) => [entry.action, entry.actorId])).toEqual([
      ["template.created", expect.any(String)],
      ["template.archived", expect.any(String)],
    ]);
  });

  it("lets platform admins manage templates without the template-admin flag", async () => {
    const root = await actorFor(await createUser("root@authz.test", { isPlatformAdmin: true }));
    const saved = await saveTemplate(root, specFor("by-root"), "");
    await archiveTemplate(root, saved.id);
    await unarchiveTemplate(root, saved.id);
    expect((await auditLogFor(saved.id)).map((entry) => entry.action)).toEqual(["template.created", "template.archived", "template.unarchived"]);
  });
});

describe("browsing the catalog", () => {
  it("searches and filters by tag, and shows archived templates only to template admins", async () => {
    const { actor: admin } = await templateAdmin("ta@browse.test");
    const member = await actorFor(await createUser("member@browse.test"));
    await saveTemplate(admin, specFor("browse-web", { name: "Web Stack", tags: ["web", "browse"], description: "Frontend work" }), "");
    await saveTemplate(admin, specFor("browse-ml", { name: "Machine Learning", tags: ["python", "browse"] }), "");
    const old = await saveTemplate(admin, specFor("browse-old", { name: "Old Stack", tags: ["browse", "legacy"] }), "");
    await archiveTemplate(admin, old.id);

    const slugs = async (actor: typeof admin, input: { search?: string; tag?: string }) =>
      (await listTemplates(actor, input)).map((t) => t.slug);
    expect(await slugs(member, { tag: "browse" })).toEqual(["browse-ml", "browse-web"]);
    expect(await slugs(admin, { tag: "browse" })).toEqual(["browse-ml", "browse-web", "browse-old"]);
    expect(await slugs(member, { search: "STACK" })).toEqual(["browse-web"]);
    expect(await slugs(member, { search: "frontend" })).toEqual(["browse-web"]);
    expect(await slugs(member, { search: "python", tag: "browse" })).toEqual(["browse-ml"]);
    expect(await slugs(member, { search: "stack", tag: "python" })).toEqual([]);

    const [card] = await listTemplates(member, { search: "Machine" });
    expect(card).toMatchObject({ latestVersion: 1, resources: { cpu: { options: [1, 2, 4], default: 2 } }, parameterCount: 0 });

    expect(await listTemplateTags(member)).not.toContain("legacy");
    expect(await listTemplateTags(admin)).toContain("legacy");
    expect(await getTemplate(member, "browse-old")).toBeNull();
    expect(await getTemplate(admin, "browse-old")).toMatchObject({ archivedAt: expect.any(Date) });
    expect(await getTemplate(member, "no-such-template")).toBeNull();
  });
});
