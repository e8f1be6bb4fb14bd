import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEAM_AUDIT_ACTIONS } from "@/lib/audit";
import { connectableWorkspace, sessionMayStill } from "@/lib/auth/websocket-auth";
import type { CurrentUser } from "@/lib/auth/current-user";
import { listAuditLog } from "@/lib/audit-log/list-audit-log";
import { getDb } from "@/lib/db/client";
import { runFormAction } from "@/lib/forms/form-action";
import type { User } from "@/lib/generated/prisma/client";
import { ADMIN_ACCESS_MS } from "@/lib/workspaces/access-grants";
import { adminAccessForm, getAdminAccess } from "@/lib/workspaces/admin-access";
import { endAccess } from "@/lib/workspaces/end-access";
import { getWorkspaceForActor } from "@/lib/workspaces/get-workspace";
import { listWorkspacesFor } from "@/lib/workspaces/list-workspaces";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createSession, createTeamWith, createUser } from "../helpers/identity";

// A platform admin's way into someone's terminal and IDE: asked for with a
// reason through the form action, audited, in force for an hour unless it is
// ended, and the only way: without one, platform admins don't get in.

useAppDatabase();

const REASON = "Support ticket 4711: the owner asked us to look at a hung build.";

let users: Record<"owner" | "teamOwner" | "teammate" | "root", User>;
let actors: Record<keyof typeof users, CurrentUser>;
let workspaces: { a: string; b: string };

const form = (values: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(values)) data.set(key, value);
  return data;
};

/** The "Get admin access" action as its server action runs it. */
const requestAccess = (user: CurrentUser, values: Record<string, string>) =>
  runFormAction(user, { ...adminAccessForm, perform: async (actor, input) => (await getAdminAccess(actor, input), "granted") }, form(values));

const grantsOf = (workspaceId: string) => getDb().workspaceAccessGrant.findMany({ where: { workspaceId }, orderBy: { createdAt: "asc" } });

beforeAll(async () => {
  users = {
    owner: await createUser("owner@grant.test"),
    teamOwner: await createUser("lead@grant.test"),
    teammate: await createUser("mate@grant.test"),
    root: await createUser("root@grant.test", { isPlatformAdmin: true }),
  };
  const team = await createTeamWith("grant-team", [
    [users.owner, "MEMBER"],
    [users.teamOwner, "OWNER"],
    [users.teammate, "MEMBER"],
  ]);
  actors = Object.fromEntries(await Promise.all(Object.entries(users).map(async ([key, user]) => [key, await actorFor(user)]))) as typeof actors;
  const template = await getDb().template.create({
    data: { slug: "grant-tpl", name: "Grant", versions: { create: { version: 1, spec: {} } } },
    include: { versions: true },
  });
  const workspace = (name: string) =>
    getDb().workspace.create({
      data: { name, ownerId: users.owner.id, teamId: team.id, templateVersionId: template.versions[0]!.id, parameters: {}, state: "RUNNING" },
    });
  workspaces = { a: (await workspace("grant-a")).id, b: (await workspace("grant-b")).id };
});

beforeEach(async () => {
  await getDb().workspaceAccessGrant.deleteMany();
});

describe("asking for admin access", () => {
  it("refuses anyone but a platform admin before reading the form, the team's owner included", async () => {
    for (const user of [actors.teamOwner, actors.owner]) {
      // Far over the reason's length: refused before it is looked at.
      expect(await requestAccess(user, { workspaceId: workspaces.a, reason: "x".repeat(100_000) })).toEqual({
        status: "error",
        message: "Only platform admins can get admin access to a workspace.",
      });
    }
    await expect(getAdminAccess(actors.teamOwner, { workspaceId: workspaces.a, reason: REASON })).rejects.toMatchObject({ code: "forbidden" });
    expect(await grantsOf(workspaces.a)).toEqual([]);
  });

  it("wants a reason of 10 to 500 characters", async () => {
    for (const reason of ["", "   too short   ", "x".repeat(501)]) {
      const state = await requestAccess(actors.root, { workspaceId: workspaces.a, reason });
      expect(state).toMatchObject({ status: "error", fieldErrors: { reason: [expect.any(String)] } });
    }
    expect(await grantsOf(workspaces.a)).toEqual([]);
  });

  it("grants an hour's access to that workspace alone, audited under the team for its owners to read", async () => {
    expect(await connectableWorkspace(actors.root, workspaces.a)).toBeNull();
    const before = Date.now();
    expect(await requestAccess(actors.root, { workspaceId: workspaces.a, reason: `  ${REASON}  ` })).toEqual({ status: "ok", message: "granted" });

    const [grant] = await grantsOf(workspaces.a);
    expect(grant).toMatchObject({ userId: users.root.id, reason: REASON, revokedAt: null });
    expect(grant!.expiresAt.getTime() - before).toBeGreaterThanOrEqual(ADMIN_ACCESS_MS);
    expect(grant!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(ADMIN_ACCESS_MS);
    expect(await connectableWorkspace(actors.root, workspaces.a)).toMatchObject({ id: workspaces.a });
    expect(await connectableWorkspace(actors.root, workspaces.b)).toBeNull();

    const [audit] = (await auditLogFor(workspaces.a)).filter((entry) => entry.action === "workspace.access-granted");
    expect(audit).toMatchObject({ actorId: users.root.id, teamId: expect.any(String), after: { granteeId: users.root.id, reason: REASON } });
    expect(TEAM_AUDIT_ACTIONS).toEqual(expect.arrayContaining(["workspace.access-granted", "workspace.access-ended"]));
    const teamLog = await listAuditLog(actors.teamOwner, { action: "workspace.access-granted" });
    expect(teamLog.items.map((entry) => entry.targetId)).toContain(workspaces.a);
  });

  it("shows the grant on the workspace page to those who look after it, and the admin's list and page can connect", async () => {
    expect(await getWorkspaceForActor(actors.root, workspaces.a)).toMatchObject({ canConnect: false, canGetAdminAccess: true, accessGrants: [] });
    await getAdminAccess(actors.root, { workspaceId: workspaces.a, reason: REASON });

    for (const viewer of [actors.owner, actors.teamOwner]) {
      const page = await getWorkspaceForActor(viewer, workspaces.a);
      expect(page.accessGrants).toEqual([
        { id: expect.any(String), grantee: { name: null, email: "root@grant.test" }, reason: REASON, createdAt: expect.any(Date), expiresAt: expect.any(Date) },
      ]);
      expect(page.canOperate).toBe(true);
    }
    expect(await getWorkspaceForActor(actors.root, workspaces.a)).toMatchObject({ canConnect: true, canGetAdminAccess: false });
    const listed = await listWorkspacesFor(actors.root, { scope: "team" });
    expect(Object.fromEntries(listed.items.map((item) => [item.id, item.canConnect]))).toMatchObject({ [workspaces.a]: true, [workspaces.b]: false });
  });

  it("refuses a second grant while one is in force", async () => {
    await getAdminAccess(actors.root, { workspaceId: workspaces.a, reason: REASON });
    await expect(getAdminAccess(actors.root, { workspaceId: workspaces.a, reason: REASON })).rejects.toMatchObject({ code: "conflict" });
    expect(await grantsOf(workspaces.a)).toHaveLength(1);
  });

  it("answers not found for a workspace that doesn't exist", async () => {
    await expect(getAdminAccess(actors.root, { workspaceId: "no-such-workspace", reason: REASON })).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("the end of admin access", () => {
  it("comes when the grant expires", async () => {
    await getAdminAccess(actors.root, { workspaceId: workspaces.a, reason: REASON });
    await getDb().workspaceAccessGrant.updateMany({ where: { workspaceId: workspaces.a }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await connectableWorkspace(actors.root, workspaces.a)).toBeNull();
    expect((await getWorkspaceForActor(actors.owner, workspaces.a)).accessGrants).toEqual([]);
  });

  it("comes when the owner ends it, audited; it can't be ended twice, nor by a teammate", async () => {
    await getAdminAccess(actors.root, { workspaceId: workspaces.a, reason: REASON });
    const [grant] = await grantsOf(workspaces.a);
    await expect(endAccess(actors.teammate, { grantId: grant!.id })).rejects.toMatchObject({ code: "not_found" });

    expect(await endAccess(actors.owner, { grantId: grant!.id })).toEqual({ workspaceId: workspaces.a, granteeEmail: "root@grant.test" });
    expect(await grantsOf(workspaces.a)).toMatchObject([{ revokedAt: expect.any(Date), revokedById: users.owner.id }]);
    expect(await connectableWorkspace(actors.root, workspaces.a)).toBeNull();
    const [audit] = (await auditLogFor(workspaces.a)).filter((entry) => entry.action === "workspace.access-ended");
    expect(audit).toMatchObject({ actorId: users.owner.id, before: { grantId: grant!.id, granteeId: users.root.id } });

    await expect(endAccess(actors.owner, { grantId: grant!.id })).rejects.toMatchObject({ code: "conflict" });
    // A new grant is a new request, with its own reason.
    expect(await getWorkspaceForActor(actors.root, workspaces.a)).toMatchObject({ canGetAdminAccess: true });
  });

  it("turns sessionMayStill false for the admin's open terminal and IDE, while they may still view it", async () => {
    const token = await createSession(users.root);
    expect(await sessionMayStill(token, "workspace:connect", workspaces.a)).toBe(false);
    await getAdminAccess(actors.root, { workspaceId: workspaces.a, reason: REASON });
    expect(await sessionMayStill(token, "workspace:connect", workspaces.a)).toBe(true);
    expect(await sessionMayStill(token, "workspace:connect", workspaces.b)).toBe(false);

    const [grant] = await grantsOf(workspaces.a);
    await endAccess(actors.teamOwner, { grantId: grant!.id });
    expect(await sessionMayStill(token, "workspace:connect", workspaces.a)).toBe(false);
    expect(await sessionMayStill(token, "workspace:view", workspaces.a)).toBe(true);
  });
});
