import { describe, expect, it } from "vitest";
import { can, type Action, type Actor } from "@/lib/authz";
import type { TeamRole } from "@/lib/generated/prisma/enums";

// Every rule of `can`, as a table: who asks × what they ask for.

const TEAM = "team-a";
const OTHER = "team-b";

const actors: Record<string, Actor> = {
  "platform admin": { id: "p", isPlatformAdmin: true, roles: new Map() },
  owner: { id: "o", isPlatformAdmin: false, roles: new Map([[TEAM, "OWNER"]]) },
  admin: { id: "a", isPlatformAdmin: false, roles: new Map([[TEAM, "ADMIN"]]) },
  member: { id: "m", isPlatformAdmin: false, roles: new Map([[TEAM, "MEMBER"]]) },
  "non-member": { id: "n", isPlatformAdmin: false, roles: new Map([[OTHER, "OWNER"]]) },
  "template admin": { id: "t", isPlatformAdmin: false, isTemplateAdmin: true, roles: new Map([[TEAM, "MEMBER"]]) },
};

type Who = keyof typeof actors;
type Change = { currentRole?: TeamRole; newRole?: TeamRole };

function ask(actor: Actor, action: Action, change: Change = {}): boolean {
  switch (action) {
    case "team:create":
    case "user:administer":
    case "usage:view-all":
    case "template:manage":
    case "team:set-quota-ceilings":
    case "workspace:get-admin-access":
      return can(actor, action);
    case "team:view":
    case "team:archive":
    case "team:manage-quotas":
    case "audit:view":
    case "workspace:create":
      return can(actor, action, { teamId: TEAM });
    case "workspace:view":
    case "workspace:operate":
    case "workspace:read-backups":
      // The member's own workspace.
      return can(actor, action, { teamId: TEAM, ownerId: "m" });
    case "workspace:connect":
      // The member's own workspace, with nobody holding an access grant.
      return can(actor, action, { teamId: TEAM, ownerId: "m", granteeIds: [] });
    case "workspace:open-port":
      // A port of the member's workspace, shared with its team.
      return can(actor, action, { teamId: TEAM, ownerId: "m", granteeIds: [], share: "team" });
    case "workspace:share-port":
      return can(actor, action, { teamId: TEAM, ownerId: "m", granteeIds: [] });
    case "team:manage-members":
      return can(actor, action, { teamId: TEAM, ...change });
  }
}

const cases: Array<[label: string, action: Action, change: Change | undefined, allowed: Who[]]> = [
  ["create a team", "team:create", undefined, ["platform admin"]],
  ["administer users", "user:administer", undefined, ["platform admin"]],
  ["see every team's usage", "usage:view-all", undefined, ["platform admin"]],
  ["manage templates", "template:manage", undefined, ["platform admin", "template admin"]],
  ["view the team", "team:view", undefined, ["platform admin", "owner", "admin", "member", "template admin"]],
  ["archive the team", "team:archive", undefined, ["platform admin"]],
  ["manage members (no specific change)", "team:manage-members", {}, ["platform admin", "owner", "admin"]],
  ["add a member", "team:manage-members", { newRole: "MEMBER" }, ["platform admin", "owner", "admin"]],
  ["add an admin", "team:manage-members", { newRole: "ADMIN" }, ["platform admin", "owner", "admin"]],
  ["add an owner", "team:manage-members", { newRole: "OWNER" }, ["platform admin", "owner"]],
  ["promote a member to admin", "team:manage-members", { currentRole: "MEMBER", newRole: "ADMIN" }, ["platform admin", "owner", "admin"]],
  ["demote an admin to member", "team:manage-members", { currentRole: "ADMIN", newRole: "MEMBER" }, ["platform admin", "owner", "admin"]],
  ["promote an admin to owner", "team:manage-members", { currentRole: "ADMIN", newRole: "OWNER" }, ["platform admin", "owner"]],
  ["promote a member to owner", "team:manage-members", { currentRole: "MEMBER", newRole: "OWNER" }, ["platform admin", "owner"]],
  ["demote an owner to admin", "team:manage-members", { currentRole: "OWNER", newRole: "ADMIN" }, ["platform admin", "owner"]],
  ["demote an owner to member", "team:manage-members", { currentRole: "OWNER", newRole: "MEMBER" }, ["platform admin", "owner"]],
  ["remove a member", "team:manage-members", { currentRole: "MEMBER" }, ["platform admin", "owner", "admin"]],
  ["remove an admin", "team:manage-members", { currentRole: "ADMIN" }, ["platform admin", "owner", "admin"]],
  ["remove an owner", "team:manage-members", { currentRole: "OWNER" }, ["platform admin", "owner"]],
  ["set the team's quota", "team:manage-quotas", undefined, ["platform admin", "owner", "admin"]],
  ["set the platform's quota ceilings", "team:set-quota-ceilings", undefined, ["platform admin"]],
  ["read the team's audit log", "audit:view", undefined, ["platform admin", "owner"]],
  ["create a workspace in the team", "workspace:create", undefined, ["platform admin", "owner", "admin", "member", "template admin"]],
  ["see a member's workspace", "workspace:view", undefined, ["platform admin", "owner", "admin", "member"]],
  ["start, stop or delete a member's workspace", "workspace:operate", undefined, ["platform admin", "owner", "admin", "member"]],
  // Platform admins too need a grant (below).
  ["open a member's terminal and IDE", "workspace:connect", undefined, ["member"]],
  ["get admin access to a workspace", "workspace:get-admin-access", undefined, ["platform admin"]],
  // Platform admins aren't in the team: a team-shared port isn't theirs to open.
  ["open a member's port shared with the team", "workspace:open-port", undefined, ["owner", "admin", "member", "template admin"]],
  ["set who a member's port is shared with", "workspace:share-port", undefined, ["member"]],
  // Its files: platform admins aren't in the team, and get no further than its status.
  ["read, download or restore a member's workspace's backups", "workspace:read-backups", undefined, ["owner", "admin", "member"]],
];

const rows = cases.flatMap(([label, action, change, allowed]) =>
  (Object.keys(actors) as Who[]).map((who) => ({ who, label, action, change, expected: allowed.includes(who) })),
);

describe("can", () => {
  it.each(rows)("$who may $label: $expected", ({ who, action, change, expected }) => {
    expect(ask(actors[who]!, action, change)).toBe(expected);
  });

  it("covers every action", () => {
    const actions: Record<Action, true> = {
      "team:create": true,
      "team:view": true,
      "team:archive": true,
      "team:manage-members": true,
      "team:manage-quotas": true,
      "team:set-quota-ceilings": true,
      "audit:view": true,
      "user:administer": true,
      "usage:view-all": true,
      "template:manage": true,
      "workspace:create": true,
      "workspace:view": true,
      "workspace:operate": true,
      "workspace:connect": true,
      "workspace:get-admin-access": true,
      "workspace:open-port": true,
      "workspace:share-port": true,
      "workspace:read-backups": true,
    };
    expect(new Set(cases.map(([, action]) => action))).toEqual(new Set(Object.keys(actions)));
  });

  it("grants nothing in a team the user has no role in, whatever their role elsewhere", () => {
    const owner = actors.owner!;
    expect(can(owner, "team:view", { teamId: OTHER })).toBe(false);
    expect(can(owner, "team:manage-members", { teamId: OTHER, newRole: "MEMBER" })).toBe(false);
    expect(can(owner, "workspace:view", { teamId: OTHER, ownerId: owner.id })).toBe(false);
    expect(can(owner, "workspace:connect", { teamId: OTHER, ownerId: owner.id, granteeIds: [] })).toBe(false);
  });
});

describe("can workspace:connect with access grants", () => {
  const admin = actors["platform admin"]!;
  // The member's workspace, with the users holding a grant to it in force (the data layer leaves out expired and ended ones).
  const workspace = (granteeIds: string[]) => ({ teamId: TEAM, ownerId: "m", granteeIds });

  it("lets a platform admin in only while they hold a grant to that workspace", () => {
    expect(can(admin, "workspace:connect", workspace([]))).toBe(false);
    expect(can(admin, "workspace:connect", workspace([admin.id]))).toBe(true);
    // A grant to another workspace (or someone else's grant) doesn't open this one.
    expect(can(admin, "workspace:connect", workspace(["someone-else"]))).toBe(false);
  });

  it("ignores a grant held by someone who is no longer a platform admin", () => {
    const demoted = { ...admin, isPlatformAdmin: false };
    expect(can(demoted, "workspace:connect", workspace([demoted.id]))).toBe(false);
    const teamAdmin = actors.admin!;
    expect(can(teamAdmin, "workspace:connect", workspace([teamAdmin.id]))).toBe(false);
  });

  it("leaves the owner's own access alone", () => {
    expect(can(actors.member!, "workspace:connect", workspace([admin.id]))).toBe(true);
  });
});

describe("can workspace:open-port at each share level", () => {
  const port = (share: "owner" | "team" | "authenticated" | "public", granteeIds: string[] = []) => ({ teamId: TEAM, ownerId: "m", granteeIds, share });
  const who = (share: Parameters<typeof port>[0]) => (Object.keys(actors) as Who[]).filter((name) => can(actors[name]!, "workspace:open-port", port(share)));

  it("widens from the owner to the team to anyone signed in", () => {
    expect(who("owner")).toEqual(["member"]);
    expect(who("team")).toEqual(["owner", "admin", "member", "template admin"]);
    expect(who("authenticated")).toEqual(Object.keys(actors));
    expect(who("public")).toEqual(Object.keys(actors));
  });

  it("lets a platform admin open an owner-only port only with an access grant", () => {
    const admin = actors["platform admin"]!;
    expect(can(admin, "workspace:open-port", port("owner", [admin.id]))).toBe(true);
    expect(can(admin, "workspace:share-port", port("owner", [admin.id]))).toBe(false);
  });
});
