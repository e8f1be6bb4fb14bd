import { describe, expect, it } from "vitest";
import { rolesFromGroups, syncGroupMemberships, type GroupMappingRule } from "@/lib/auth/group-sync";
import { getDb } from "@/lib/db/client";
import { useAppDatabase } from "../helpers/app-database";

useAppDatabase();

const rules: GroupMappingRule[] = [
  { group: "eng-ml", team: "ml", role: "MEMBER" },
  { group: "eng-ml-leads", team: "ml", role: "ADMIN" },
  { group: "eng-web", team: "web", role: "MEMBER" },
  { group: "contractors", team: "web", role: "MEMBER" },
];

describe("rolesFromGroups", () => {
  it("maps groups to teams, the highest role winning", () => {
    expect(rolesFromGroups(["eng-ml", "eng-ml-leads", "eng-web"], rules, /.*/)).toEqual(
      new Map([
        ["ml", "ADMIN"],
        ["web", "MEMBER"],
      ]),
    );
  });

  it("ignores groups outside the filter and groups with no rule", () => {
    expect(rolesFromGroups(["contractors", "eng-ops"], rules, /^eng-/)).toEqual(new Map());
  });
});

describe("syncGroupMemberships", () => {
  const membershipsOf = async (userId: string) =>
    (
      await getDb().membership.findMany({ where: { userId }, include: { team: true }, orderBy: { team: { slug: "asc" } } })
    ).map((m) => `${m.team.slug}:${m.role}:${m.source}`);

  it("adds, changes and removes synced memberships, creating teams on first use, and leaves manual ones alone", async () => {
    const db = getDb();
    const user = await db.user.create({ data: { email: "kim@corp.example" } });
    const ops = await db.team.create({ data: { slug: "ops", name: "Ops" } });
    await db.membership.create({ data: { teamId: ops.id, userId: user.id, role: "OWNER", source: "MANUAL" } });

    await syncGroupMemberships(user.id, new Map([["ml", "ADMIN"], ["web", "MEMBER"], ["ops", "MEMBER"]]));
    expect(await membershipsOf(user.id)).toEqual(["ml:ADMIN:GROUP_SYNC", "ops:OWNER:MANUAL", "web:MEMBER:GROUP_SYNC"]);
    expect(await db.team.findUnique({ where: { slug: "ml" } })).not.toBeNull();

    // Next sign-in: the ML lead group was removed at the IdP, web is gone entirely.
    await syncGroupMemberships(user.id, new Map([["ml", "MEMBER"]]));
    expect(await membershipsOf(user.id)).toEqual(["ml:MEMBER:GROUP_SYNC", "ops:OWNER:MANUAL"]);

    const audit = await db.auditLog.findMany({ where: { targetType: "membership" }, orderBy: { createdAt: "asc" } });
    expect(audit.map((entry) => entry.action)).toEqual([
      "membership.added",
      "membership.added",
      "membership.role-changed",
      "membership.removed",
    ]);
    expect(audit[2]).toMatchObject({ actorId: null, before: { role: "ADMIN" }, after: { role: "MEMBER" } });
  });
});
