import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import type { User } from "@/lib/generated/prisma/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import { addMember } from "@/lib/teams/add-member";
import { changeMemberRole } from "@/lib/teams/change-member-role";
import { removeMember } from "@/lib/teams/remove-member";
import { createServiceAccount } from "@/lib/teams/service-accounts";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";

useAppDatabase();

let next = 0;
/** A team with one user per role, each with a unique email. */
async function teamOfRoles(...roles: TeamRole[]) {
  const id = ++next;
  const users: User[] = [];
  for (const [i, role] of roles.entries()) users.push(await createUser(`${role.toLowerCase()}${i}@t${id}.test`));
  const team = await createTeamWith(`team-${id}`, roles.map((role, i) => [users[i]!, role] as const));
  return { team, users };
}

const membership = (teamId: string, userId: string) =>
  getDb().membership.findUnique({ where: { teamId_userId: { teamId, userId } } });

describe("adding members", () => {
  it("adds an existing user with the chosen role, as a manual membership, audited", async () => {
    const { team, users: [owner] } = await teamOfRoles("OWNER");
    const dev = await createUser("dev@add.test", { name: "Dev" });

    const { member, team: changed } = await addMember(await actorFor(owner!), { teamId: team.id, email: "dev@add.test", role: "ADMIN" });

    expect(changed.slug).toBe(team.slug);
    expect(member).toMatchObject({ userId: dev.id, email: "dev@add.test", name: "Dev", role: "ADMIN", source: "MANUAL" });
    expect(await auditLogFor(member.membershipId)).toMatchObject([
      {
        action: "membership.added",
        actorId: owner!.id,
        targetType: "membership",
        teamId: team.id,
        before: null,
        after: { userId: dev.id, email: "dev@add.test", role: "ADMIN", source: "MANUAL" },
      },
    ]);
  });

  it("creates a placeholder user (lowercased email, no name) for someone who never signed in", async () => {
    const { team, users: [admin] } = await teamOfRoles("ADMIN");
    const { member } = await addMember(await actorFor(admin!), { teamId: team.id, email: "New.Person@Add.Test", role: "MEMBER" });

    const created = await getDb().user.findUniqueOrThrow({ where: { email: "new.person@add.test" } });
    expect(created).toMatchObject({ id: member.userId, name: null, isPlatformAdmin: false, deactivatedAt: null });
    expect(await auditLogFor(created.id)).toMatchObject([{ action: "user.created", actorId: admin!.id, after: { email: "new.person@add.test" } }]);
    // The waiting membership shows up as soon as they have a session.
    expect((await actorFor(created)).roles.get(team.id)).toBe("MEMBER");
  });

  it("lets one user belong to several teams", async () => {
    const first = await teamOfRoles("OWNER");
    const second = await teamOfRoles("OWNER");
    await addMember(await actorFor(first.users[0]!), { teamId: first.team.id, email: "multi@add.test", role: "MEMBER" });
    await addMember(await actorFor(second.users[0]!), { teamId: second.team.id, email: "multi@add.test", role: "ADMIN" });

    const multi = await actorFor(await getDb().user.findUniqueOrThrow({ where: { email: "multi@add.test" } }));
    expect(multi.roles).toEqual(new Map([[first.team.id, "MEMBER"], [second.team.id, "ADMIN"]]));
    expect(multi.teams.map((t) => t.slug).sort()).toEqual([first.team.slug, second.team.slug].sort());
  });

  it("refuses someone already in the team as a conflict on the email field", async () => {
    const { team, users: [owner, member] } = await teamOfRoles("OWNER", "MEMBER");
    await expect(addMember(await actorFor(owner!), { teamId: team.id, email: member!.email, role: "ADMIN" })).rejects.toMatchObject({
      code: "conflict",
      field: "email",
    });
    expect(await membership(team.id, member!.id)).toMatchObject({ role: "MEMBER" });
  });

  it("refuses an admin granting OWNER and a plain member adding anyone, creating no user", async () => {
    const { team, users: [, admin, member] } = await teamOfRoles("OWNER", "ADMIN", "MEMBER");
    await expect(addMember(await actorFor(admin!), { teamId: team.id, email: "boss@add.test", role: "OWNER" })).rejects.toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/owner/i),
    });
    await expect(addMember(await actorFor(member!), { teamId: team.id, email: "boss@add.test", role: "MEMBER" })).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(await getDb().user.findUnique({ where: { email: "boss@add.test" } })).toBeNull();
  });

  it("refuses another team's service account, which stays that team's alone", async () => {
    const { team: theirs, users: [theirOwner] } = await teamOfRoles("OWNER");
    const { team: ours, users: [ourOwner] } = await teamOfRoles("OWNER");
    const { id } = await createServiceAccount(await actorFor(theirOwner!), { teamId: theirs.id, name: "ci" });
    const { email } = await getDb().user.findUniqueOrThrow({ where: { id } });

    await expect(addMember(await actorFor(ourOwner!), { teamId: ours.id, email, role: "MEMBER" })).rejects.toMatchObject({ code: "invalid", field: "email" });
    expect(await membership(ours.id, id)).toBeNull();
  });

  it("answers not_found to an owner of another team", async () => {
    const { team } = await teamOfRoles("OWNER");
    const other = await teamOfRoles("OWNER");
    await expect(addMember(await actorFor(other.users[0]!), { teamId: team.id, email: "x@add.test", role: "MEMBER" })).rejects.toMatchObject({
      code: "not_found",
    });
  });
});

describe("changing roles", () => {
  it("records the role before and after", async () => {
    const { team, users: [owner, member] } = await teamOfRoles("OWNER", "MEMBER");
    const { member: changed } = await changeMemberRole(await actorFor(owner!), { teamId: team.id, userId: member!.id, role: "ADMIN" });

    expect(changed.role).toBe("ADMIN");
    expect(await auditLogFor(changed.membershipId)).toMatchObject([
      {
        action: "membership.role-changed",
        actorId: owner!.id,
        teamId: team.id,
        before: { userId: member!.id, role: "MEMBER" },
        after: { userId: member!.id, role: "ADMIN", source: "MANUAL" },
      },
    ]);
  });

  it("makes a group-synced membership manual, so the next sync keeps the role set by hand", async () => {
    const { team, users: [owner] } = await teamOfRoles("OWNER");
    const synced = await createUser("synced@role.test");
    await getDb().membership.create({ data: { teamId: team.id, userId: synced.id, role: "MEMBER", source: "GROUP_SYNC" } });

    await changeMemberRole(await actorFor(owner!), { teamId: team.id, userId: synced.id, role: "ADMIN" });
    expect(await membership(team.id, synced.id)).toMatchObject({ role: "ADMIN", source: "MANUAL" });
  });

  it("lets an admin promote and demote admins and members, but not touch an owner or grant OWNER", async () => {
    const { team, users: [owner, admin, member, otherAdmin] } = await teamOfRoles("OWNER", "ADMIN", "MEMBER", "ADMIN");
    const actor = await actorFor(admin!);

    await changeMemberRole(actor, { teamId: team.id, userId: member!.id, role: "ADMIN" });
    await changeMemberRole(actor, { teamId: team.id, userId: otherAdmin!.id, role: "MEMBER" });
    await expect(changeMemberRole(actor, { teamId: team.id, userId: member!.id, role: "OWNER" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(changeMemberRole(actor, { teamId: team.id, userId: owner!.id, role: "MEMBER" })).rejects.toMatchObject({ code: "forbidden" });

    expect(await membership(team.id, member!.id)).toMatchObject({ role: "ADMIN" });
    expect(await membership(team.id, otherAdmin!.id)).toMatchObject({ role: "MEMBER" });
    expect(await membership(team.id, owner!.id)).toMatchObject({ role: "OWNER" });
  });

  it("refuses plain members", async () => {
    const { team, users: [, member, other] } = await teamOfRoles("OWNER", "MEMBER", "MEMBER");
    await expect(changeMemberRole(await actorFor(member!), { teamId: team.id, userId: other!.id, role: "ADMIN" })).rejects.toMatchObject({
      code: "forbidden",
    });
  });

  it("never leaves a team without an owner", async () => {
    const { team, users: [owner, admin] } = await teamOfRoles("OWNER", "ADMIN");
    const actor = await actorFor(owner!);

    await expect(changeMemberRole(actor, { teamId: team.id, userId: owner!.id, role: "ADMIN" })).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringMatching(/at least one owner/),
    });
    expect(await membership(team.id, owner!.id)).toMatchObject({ role: "OWNER" });

    // With a second owner the first may step down.
    await changeMemberRole(actor, { teamId: team.id, userId: admin!.id, role: "OWNER" });
    await changeMemberRole(actor, { teamId: team.id, userId: owner!.id, role: "MEMBER" });
    expect(await membership(team.id, owner!.id)).toMatchObject({ role: "MEMBER" });
  });

  it("answers not_found for someone who isn't a member, and audits nothing when the role is unchanged", async () => {
    const { team, users: [owner, member] } = await teamOfRoles("OWNER", "MEMBER");
    const stranger = await createUser("stranger@role.test");
    const actor = await actorFor(owner!);

    await expect(changeMemberRole(actor, { teamId: team.id, userId: stranger.id, role: "ADMIN" })).rejects.toMatchObject({ code: "not_found" });
    const { member: same } = await changeMemberRole(actor, { teamId: team.id, userId: member!.id, role: "MEMBER" });
    expect(await auditLogFor(same.membershipId)).toEqual([]);
  });
});

describe("removing members", () => {
  it("removes a member, recording who and with which role", async () => {
    const { team, users: [owner, member] } = await teamOfRoles("OWNER", "MEMBER");
    const before = await membership(team.id, member!.id);

    const { member: removed } = await removeMember(await actorFor(owner!), { teamId: team.id, userId: member!.id });

    expect(removed.email).toBe(member!.email);
    expect(await membership(team.id, member!.id)).toBeNull();
    expect((await actorFor(member!)).roles.has(team.id)).toBe(false);
    expect(await auditLogFor(before!.id)).toMatchObject([
      {
        action: "membership.removed",
        actorId: owner!.id,
        teamId: team.id,
        before: { userId: member!.id, role: "MEMBER", source: "MANUAL" },
        after: null,
      },
    ]);
  });

  it("refuses to remove the last owner, but removes an owner when another remains", async () => {
    const { team, users: [first, second] } = await teamOfRoles("OWNER", "OWNER");
    const actor = await actorFor(first!);

    await removeMember(actor, { teamId: team.id, userId: second!.id });
    await expect(removeMember(actor, { teamId: team.id, userId: first!.id })).rejects.toMatchObject({ code: "conflict" });
    expect(await membership(team.id, first!.id)).toMatchObject({ role: "OWNER" });
  });

  it("keeps admins away from owners, and members away from everyone", async () => {
    const { team, users: [owner, admin, member, other] } = await teamOfRoles("OWNER", "ADMIN", "MEMBER", "MEMBER");
    await expect(removeMember(await actorFor(admin!), { teamId: team.id, userId: owner!.id })).rejects.toMatchObject({ code: "forbidden" });
    await expect(removeMember(await actorFor(member!), { teamId: team.id, userId: other!.id })).rejects.toMatchObject({ code: "forbidden" });
    await removeMember(await actorFor(admin!), { teamId: team.id, userId: member!.id });
    expect(await membership(team.id, owner!.id)).not.toBeNull();
    expect(await membership(team.id, other!.id)).not.toBeNull();
  });

  it("answers not_found to owners of other teams", async () => {
    const { team, users: [, member] } = await teamOfRoles("OWNER", "MEMBER");
    const other = await teamOfRoles("OWNER");
    await expect(removeMember(await actorFor(other.users[0]!), { teamId: team.id, userId: member!.id })).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("lets a platform admin who isn't a member manage any team", async () => {
    const { team, users: [owner] } = await teamOfRoles("OWNER");
    const root = await actorFor(await createUser("root@remove.test", { isPlatformAdmin: true }));
    await addMember(root, { teamId: team.id, email: "second-owner@remove.test", role: "OWNER" });
    await removeMember(root, { teamId: team.id, userId: owner!.id });
    expect(await membership(team.id, owner!.id)).toBeNull();
  });
});
