import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { createTeam } from "@/lib/teams/create-team";
import { getTeamForActor } from "@/lib/teams/get-team";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import { memberListQuerySchema, TEAM_ROLES } from "@/lib/schemas/teams";
import { listMembers, MEMBER_PAGE_SIZE } from "@/lib/teams/list-members";
import { listTeamsFor } from "@/lib/teams/list-teams";
import { setTeamArchived } from "@/lib/teams/set-team-archived";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";
import { walkPages } from "../helpers/pages";

useAppDatabase();

describe("creating teams", () => {
  it("lets a platform admin create a team with a first owner, audited in full", async () => {
    const root = await createUser("root@create.test", { isPlatformAdmin: true });
    const team = await createTeam(await actorFor(root), { name: "Machine Learning", slug: "ml", ownerEmail: "Lead@Create.Test" });

    expect(team).toMatchObject({ slug: "ml", name: "Machine Learning", archivedAt: null });
    const lead = await getDb().user.findUniqueOrThrow({ where: { email: "lead@create.test" } });
    expect(lead.name).toBeNull();
    const membership = await getDb().membership.findUniqueOrThrow({ where: { teamId_userId: { teamId: team.id, userId: lead.id } } });
    expect(membership).toMatchObject({ role: "OWNER", source: "MANUAL" });

    expect(await auditLogFor(team.id)).toMatchObject([
      { action: "team.created", actorId: root.id, targetType: "team", teamId: team.id, after: { slug: "ml", name: "Machine Learning" } },
    ]);
    expect(await auditLogFor(lead.id)).toMatchObject([{ action: "user.created", actorId: root.id, after: { email: "lead@create.test" } }]);
    expect(await auditLogFor(membership.id)).toMatchObject([
      { action: "membership.added", actorId: root.id, teamId: team.id, before: null, after: { userId: lead.id, role: "OWNER", source: "MANUAL" } },
    ]);
  });

  it("refuses a taken slug as a conflict on the slug field, leaving nothing behind", async () => {
    const root = await createUser("root2@create.test", { isPlatformAdmin: true });
    const actor = await actorFor(root);
    await createTeam(actor, { name: "Data", slug: "data", ownerEmail: "root2@create.test" });

    const error = await createTeam(actor, { name: "Data again", slug: "data", ownerEmail: "new@create.test" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "conflict", field: "slug" });
    expect(await getDb().user.findUnique({ where: { email: "new@create.test" } })).toBeNull();
  });

  it("refuses anyone but a platform admin", async () => {
    const owner = await createUser("owner@create.test");
    await createTeamWith("owned", [[owner, "OWNER"]]);
    await expect(createTeam(await actorFor(owner), { name: "Mine", slug: "mine", ownerEmail: "owner@create.test" })).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(await getDb().team.findUnique({ where: { slug: "mine" } })).toBeNull();
  });
});

describe("seeing teams", () => {
  it("gives a member of team A nothing of team B: null by slug, not_found by id", async () => {
    const alice = await createUser("alice@see.test");
    const bob = await createUser("bob@see.test");
    const teamA = await createTeamWith("see-a", [[alice, "OWNER"]]);
    const teamB = await createTeamWith("see-b", [[bob, "OWNER"]]);
    const actor = await actorFor(alice);

    expect(await getTeamForActor(actor, "see-a")).toMatchObject({ id: teamA.id, role: "OWNER" });
    expect(await getTeamForActor(actor, "see-b")).toBeNull();
    expect(await getTeamForActor(actor, "no-such-team")).toBeNull();
    await expect(listMembers(actor, teamB.id)).rejects.toMatchObject({ code: "not_found" });
    expect((await listTeamsFor(actor)).map((team) => team.slug)).toEqual(["see-a"]);
  });

  it("shows platform admins every team, with their own role where they have one", async () => {
    const root = await createUser("root@see.test", { isPlatformAdmin: true });
    const team = await createTeamWith("see-admin", [[root, "ADMIN"]]);
    const actor = await actorFor(root);

    const teams = await listTeamsFor(actor);
    expect(teams.find((t) => t.slug === "see-a")).toMatchObject({ role: null, memberCount: 1 });
    expect(teams.find((t) => t.id === team.id)).toMatchObject({ role: "ADMIN", memberCount: 1 });
    expect(await getTeamForActor(actor, "see-b")).toMatchObject({ slug: "see-b", role: null });
  });

  it("lists members owners first, with email, role and source", async () => {
    const [owner, admin, member] = await Promise.all([
      createUser("zed@list.test", { name: "Zed" }),
      createUser("amy@list.test", { name: "Amy" }),
      createUser("bea@list.test"),
    ]);
    const team = await createTeamWith("list", [
      [member, "MEMBER"],
      [admin, "ADMIN"],
      [owner, "OWNER"],
    ]);
    const members = await listMembers(await actorFor(member), team.id);
    expect(members.total).toBe(3);
    expect(members.items.map(({ email, name, role, source }) => ({ email, name, role, source }))).toEqual([
      { email: "zed@list.test", name: "Zed", role: "OWNER", source: "MANUAL" },
      { email: "amy@list.test", name: "Amy", role: "ADMIN", source: "MANUAL" },
      { email: "bea@list.test", name: null, role: "MEMBER", source: "MANUAL" },
    ]);
  });
});

describe("paging through a team's members", () => {
  it("lists owners, admins, then members, by email, a page at a time both ways, and searches names and emails", async () => {
    const roles = [...Array(2).fill("OWNER"), ...Array(3).fill("ADMIN"), ...Array(MEMBER_PAGE_SIZE + 20).fill("MEMBER")] as TeamRole[];
    const people = await Promise.all(
      roles.map((role, n) => createUser(`m${String(roles.length - n).padStart(3, "0")}@pages.test`, { name: n % 2 ? `Odd ${n}` : undefined }).then((user) => [user, role] as const)),
    );
    const team = await createTeamWith("paged-members", people);
    const viewer = await actorFor(people.at(-1)![0]);
    const rank = (role: TeamRole) => TEAM_ROLES.indexOf(role);
    const line = (member: { role: TeamRole; email: string }) => `${member.role} ${member.email}`;
    const expected = people
      .map(([user, role]) => ({ role, email: user.email }))
      .sort((a, b) => rank(a.role) - rank(b.role) || a.email.localeCompare(b.email))
      .map(line);

    const { forward, backward } = await walkPages((cursor) => listMembers(viewer, team.id, memberListQuerySchema.parse({ cursor })));
    const pages = forward.map((page) => page.items.map(line));
    expect(pages.map((page) => page.length)).toEqual([MEMBER_PAGE_SIZE, 25]);
    expect(pages.flat()).toEqual(expected);
    expect(backward.map((page) => page.items.map(line))).toEqual(pages);
    expect(forward.every((page) => page.total === roles.length)).toBe(true);

    const odd = await listMembers(viewer, team.id, memberListQuerySchema.parse({ q: "ODD" }));
    expect(odd.items.map((member) => member.name)).toEqual(expect.arrayContaining(["Odd 1", "Odd 73"]));
    expect(odd.items.every((member) => member.name?.startsWith("Odd "))).toBe(true);
    expect(odd.items).toHaveLength(Math.floor(roles.length / 2));
    expect(odd.total).toBe(roles.length);
    expect((await listMembers(viewer, team.id, memberListQuerySchema.parse({ q: "m007@pages" }))).items.map((member) => member.email)).toEqual(["m007@pages.test"]);
  });
});

describe("archiving teams", () => {
  it("hides an archived team from its members until it is restored, audited both ways", async () => {
    const root = await createUser("root@archive.test", { isPlatformAdmin: true });
    const member = await createUser("member@archive.test");
    const team = await createTeamWith("archive", [[member, "OWNER"]]);
    const admin = await actorFor(root);

    expect((await actorFor(member)).roles.get(team.id)).toBe("OWNER");
    const archived = await setTeamArchived(admin, { teamId: team.id, archived: true });
    expect(archived.archivedAt).toBeInstanceOf(Date);

    const memberAfter = await actorFor(member);
    expect(memberAfter.roles.has(team.id)).toBe(false);
    expect(memberAfter.teams).toEqual([]);
    expect(await getTeamForActor(memberAfter, "archive")).toBeNull();
    expect(await listTeamsFor(memberAfter)).toEqual([]);
    // Platform admins still see it, marked archived.
    expect((await listTeamsFor(admin)).find((t) => t.id === team.id)?.archivedAt).toBeInstanceOf(Date);

    await setTeamArchived(admin, { teamId: team.id, archived: false });
    expect((await actorFor(member)).roles.get(team.id)).toBe("OWNER");
    expect(await auditLogFor(team.id)).toMatchObject([
      { action: "team.archived", actorId: root.id, teamId: team.id, before: { archived: false }, after: { archived: true } },
      { action: "team.unarchived", actorId: root.id, teamId: team.id, before: { archived: true }, after: { archived: false } },
    ]);
  });

  it("does nothing, and audits nothing, when the team is already in that state", async () => {
    const root = await createUser("root2@archive.test", { isPlatformAdmin: true });
    const team = await createTeamWith("archive-noop");
    await setTeamArchived(await actorFor(root), { teamId: team.id, archived: false });
    expect(await auditLogFor(team.id)).toEqual([]);
  });

  it("refuses team owners (forbidden) and outsiders (not_found)", async () => {
    const owner = await createUser("owner@archive.test");
    const outsider = await createUser("outsider@archive.test");
    const team = await createTeamWith("archive-refused", [[owner, "OWNER"]]);

    await expect(setTeamArchived(await actorFor(owner), { teamId: team.id, archived: true })).rejects.toMatchObject({ code: "forbidden" });
    await expect(setTeamArchived(await actorFor(outsider), { teamId: team.id, archived: true })).rejects.toMatchObject({ code: "not_found" });
    expect((await getDb().team.findUniqueOrThrow({ where: { id: team.id } })).archivedAt).toBeNull();
  });

  it("answers not_found for an unknown team, even to platform admins", async () => {
    const root = await createUser("root3@archive.test", { isPlatformAdmin: true });
    await expect(setTeamArchived(await actorFor(root), { teamId: "nope", archived: true })).rejects.toMatchObject({ code: "not_found" });
  });
});
