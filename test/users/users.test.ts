import { describe, expect, it } from "vitest";
import { loadCurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import type { User } from "@/lib/generated/prisma/client";
import { searchUsersSchema } from "@/lib/schemas/users";
import { SEARCH_LIMIT, searchUsers } from "@/lib/users/search-users";
import { setPlatformAdmin } from "@/lib/users/platform-roles";
import { setUserDeactivated } from "@/lib/users/set-user-deactivated";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";
import { walkPages } from "../helpers/pages";

useAppDatabase();

function openSession(user: User, token: string) {
  return getDb().session.create({ data: { userId: user.id, sessionToken: token, expires: new Date(Date.now() + 86_400_000) } });
}

describe("searching users", () => {
  it("matches email or name in any case, ordered by email", async () => {
    const root = await createUser("root@search.test", { isPlatformAdmin: true, name: "Root" });
    const grace = await createUser("grace@search.test", { name: "Grace Hopper" });
    await createUser("hopper@search.test", { name: "Someone Else" });
    await createUser("alan@search.test", { name: "Alan Turing" });
    await createTeamWith("search", [[grace, "MEMBER"]]);
    const actor = await actorFor(root);

    const { items: users, next } = await searchUsers(actor, { q: "HOPPER" });
    expect(next).toBeNull();
    expect(users.map((u) => u.email)).toEqual(["grace@search.test", "hopper@search.test"]);
    expect(users[0]).toMatchObject({ name: "Grace Hopper", teamCount: 1, hasSignedIn: false, isPlatformAdmin: false, deactivatedAt: null });

    expect((await searchUsers(actor, { q: "" })).items.map((u) => u.email)).toEqual([
      "alan@search.test",
      "grace@search.test",
      "hopper@search.test",
      "root@search.test",
    ]);
    expect((await searchUsers(actor, { q: "100%_" })).items).toEqual([]);
  });

  it("lists a page at a time by email, each user once, both ways, with or without a search", async () => {
    const actor = await actorFor(await createUser("root@pages.test", { isPlatformAdmin: true }));
    const emails = Array.from({ length: 2 * SEARCH_LIMIT + 20 }, (_, n) => `person-${String(n).padStart(3, "0")}@pages.test`);
    // Written out of order, with names that sort otherwise.
    await getDb().user.createMany({ data: emails.toReversed().map((email, n) => ({ email, name: `Name ${n}` })) });

    const everyone = (await getDb().user.findMany({ select: { email: true }, orderBy: { email: "asc" } })).map((user) => user.email);
    for (const [q, expected] of [["", everyone], ["PERSON-", emails]] as const) {
      const { forward, backward } = await walkPages((cursor) => searchUsers(actor, searchUsersSchema.parse({ q, cursor })));
      const pages = forward.map((page) => page.items.map((user) => user.email));
      expect(pages.flat()).toEqual(expected);
      expect(pages.slice(0, -1).every((page) => page.length === SEARCH_LIMIT)).toBe(true);
      expect(backward.map((page) => page.items.map((user) => user.email))).toEqual(pages);
    }
    // A link from another search, or no cursor at all, is the first page of this one.
    const first = await searchUsers(actor, searchUsersSchema.parse({ q: "person-1" }));
    expect(first.items[0]!.email).toBe("person-100@pages.test");
    expect((await searchUsers(actor, searchUsersSchema.parse({ q: "person-1", cursor: "not-a-cursor" }))).items).toEqual(first.items);
  });

  it("is out of reach (not_found) for anyone but platform admins, team owners included", async () => {
    const owner = await createUser("owner@search.test");
    await createTeamWith("search-owner", [[owner, "OWNER"]]);
    await expect(searchUsers(await actorFor(owner), { q: "" })).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("deactivating users", () => {
  it("ends every session at once, makes the user unknown to requests, and can be undone", async () => {
    const root = await createUser("root@deactivate.test", { isPlatformAdmin: true });
    const dev = await createUser("dev@deactivate.test");
    await openSession(dev, "laptop");
    await openSession(dev, "desktop");
    await openSession(root, "root-browser");
    const actor = await actorFor(root);

    const deactivated = await setUserDeactivated(actor, { userId: dev.id, deactivated: true });
    expect(deactivated.deactivatedAt).toBeInstanceOf(Date);
    expect(await getDb().session.count({ where: { userId: dev.id } })).toBe(0);
    expect(await getDb().session.count({ where: { userId: root.id } })).toBe(1);
    expect(await loadCurrentUser(dev.id)).toBeNull();

    await setUserDeactivated(actor, { userId: dev.id, deactivated: false });
    expect(await loadCurrentUser(dev.id)).not.toBeNull();
    expect(await auditLogFor(dev.id)).toMatchObject([
      { action: "user.deactivated", actorId: root.id, targetType: "user", before: { deactivated: false }, after: { deactivated: true, sessionsEnded: 2 } },
      { action: "user.reactivated", actorId: root.id, targetType: "user", before: { deactivated: true }, after: { deactivated: false } },
    ]);
  });

  it("won't let an admin deactivate themselves", async () => {
    const root = await createUser("self@deactivate.test", { isPlatformAdmin: true });
    await openSession(root, "self-browser");
    await expect(setUserDeactivated(await actorFor(root), { userId: root.id, deactivated: true })).rejects.toMatchObject({ code: "forbidden" });
    expect(await loadCurrentUser(root.id)).not.toBeNull();
    expect(await getDb().session.count({ where: { userId: root.id } })).toBe(1);
    expect(await auditLogFor(root.id)).toEqual([]);
  });

  it("is out of reach for non-admins, and not_found for unknown users", async () => {
    const member = await createUser("member@deactivate.test");
    const victim = await createUser("victim@deactivate.test");
    const root = await createUser("root2@deactivate.test", { isPlatformAdmin: true });
    await expect(setUserDeactivated(await actorFor(member), { userId: victim.id, deactivated: true })).rejects.toMatchObject({ code: "not_found" });
    await expect(setUserDeactivated(await actorFor(root), { userId: "nobody", deactivated: true })).rejects.toMatchObject({ code: "not_found" });
    expect(await loadCurrentUser(victim.id)).not.toBeNull();
  });
});

describe("platform admin role", () => {
  it("grants and revokes, audited before and after", async () => {
    const root = await createUser("root@admin.test", { isPlatformAdmin: true });
    const dev = await createUser("dev@admin.test");
    const actor = await actorFor(root);

    expect(await setPlatformAdmin(actor, { userId: dev.id, isPlatformAdmin: true })).toMatchObject({ isPlatformAdmin: true });
    expect((await actorFor(dev)).isPlatformAdmin).toBe(true);
    await setPlatformAdmin(actor, { userId: dev.id, isPlatformAdmin: false });
    expect((await actorFor(dev)).isPlatformAdmin).toBe(false);
    expect(await auditLogFor(dev.id)).toMatchObject([
      { action: "user.platform-admin-granted", actorId: root.id, before: { isPlatformAdmin: false }, after: { isPlatformAdmin: true } },
      { action: "user.platform-admin-revoked", actorId: root.id, before: { isPlatformAdmin: true }, after: { isPlatformAdmin: false } },
    ]);
  });

  it("won't let an admin demote themselves", async () => {
    const root = await createUser("self@admin.test", { isPlatformAdmin: true });
    await expect(setPlatformAdmin(await actorFor(root), { userId: root.id, isPlatformAdmin: false })).rejects.toMatchObject({ code: "forbidden" });
    expect((await actorFor(root)).isPlatformAdmin).toBe(true);
  });

  it("is out of reach for non-admins, who can't promote themselves", async () => {
    const dev = await createUser("climber@admin.test");
    await expect(setPlatformAdmin(await actorFor(dev), { userId: dev.id, isPlatformAdmin: true })).rejects.toMatchObject({ code: "not_found" });
    expect((await actorFor(dev)).isPlatformAdmin).toBe(false);
  });
});
