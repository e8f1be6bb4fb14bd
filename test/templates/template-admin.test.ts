import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { managesTemplates } from "@/lib/templates/access";
import { searchUsers } from "@/lib/users/search-users";
import { setTemplateAdminSchema } from "@/lib/schemas/users";
import { setTemplateAdmin } from "@/lib/users/platform-roles";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";

useAppDatabase();

describe("the template-admin role", () => {
  it("is granted and revoked by platform admins, audited before and after, and takes effect at once", async () => {
    const root = await actorFor(await createUser("root@ta.test", { isPlatformAdmin: true }));
    const dev = await createUser("dev@ta.test");
    expect(await managesTemplates(await actorFor(dev))).toBe(false);

    expect(await setTemplateAdmin(root, { userId: dev.id, isTemplateAdmin: true })).toMatchObject({ isTemplateAdmin: true, isPlatformAdmin: false });
    expect(await managesTemplates(await actorFor(dev))).toBe(true);
    expect((await searchUsers(root, { q: "dev@ta.test" })).items[0]).toMatchObject({ isTemplateAdmin: true });
    // Granting twice changes (and audits) nothing.
    await setTemplateAdmin(root, { userId: dev.id, isTemplateAdmin: true });
    await setTemplateAdmin(root, { userId: dev.id, isTemplateAdmin: false });
    expect(await managesTemplates(await actorFor(dev))).toBe(false);

    expect(await auditLogFor(dev.id)).toMatchObject([
      { action: "user.template-admin-granted", actorId: root.id, targetType: "user", before: { isTemplateAdmin: false }, after: { isTemplateAdmin: true } },
      { action: "user.template-admin-revoked", actorId: root.id, targetType: "user", before: { isTemplateAdmin: true }, after: { isTemplateAdmin: false } },
    ]);
  });

  it("is out of reach (not_found) for everyone else, template admins and team owners included", async () => {
    const owner = await createUser("owner@ta.test");
    await createTeamWith("ta", [[owner, "OWNER"]]);
    const templateAdmin = await getDb().user.create({ data: { email: "ta@ta.test", isTemplateAdmin: true } });
    const target = await createUser("target@ta.test");
    for (const user of [owner, templateAdmin]) {
      await expect(setTemplateAdmin(await actorFor(user), { userId: target.id, isTemplateAdmin: true })).rejects.toMatchObject({ code: "not_found" });
      await expect(setTemplateAdmin(await actorFor(user), { userId: user.id, isTemplateAdmin: true })).rejects.toMatchObject({ code: "not_found" });
    }
    const root = await actorFor(await createUser("root2@ta.test", { isPlatformAdmin: true }));
    await expect(setTemplateAdmin(root, { userId: "nobody", isTemplateAdmin: true })).rejects.toMatchObject({ code: "not_found" });
    expect(await getDb().user.findUniqueOrThrow({ where: { id: target.id } })).toMatchObject({ isTemplateAdmin: false });
  });

  it("reads the form's fields", () => {
    expect(setTemplateAdminSchema.parse({ userId: "u1", isTemplateAdmin: "true" })).toEqual({ userId: "u1", isTemplateAdmin: true });
    expect(setTemplateAdminSchema.safeParse({ userId: "", isTemplateAdmin: "maybe" }).success).toBe(false);
  });
});
