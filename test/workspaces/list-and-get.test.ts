import { beforeAll, describe, expect, it } from "vitest";
import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import type { Team, User } from "@/lib/generated/prisma/client";
import type { WorkspaceState } from "@/lib/generated/prisma/enums";
import { EVENT_PAGE, getWorkspaceForActor, watchWorkspace, type WorkspaceUpdate } from "@/lib/workspaces/get-workspace";
import { listWorkspacesFor } from "@/lib/workspaces/list-workspaces";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";

// Who sees which workspace, on the list and by id, against a real database.

useAppDatabase();

const SPEC = {
  slug: "listing",
  name: "Listing",
  image: "podspace/test:1",
  resources: { cpu: { default: 1, options: [1, 2] }, memoryGiB: { default: 2 }, diskGiB: { default: 10 } },
  parameters: [{ name: "editor", label: "Editor", type: "string", options: ["vim", "emacs"], default: "vim" }],
  ide: { command: ["true"] },
};

let versions: { v1: string; v2: string };
let teamA: Team;
let teamB: Team;
let users: Record<"ownerA" | "adminA" | "memberA" | "otherA" | "memberB" | "platform", User>;
let actors: Record<keyof typeof users, CurrentUser>;

async function workspace(owner: User, team: Team, name: string, data: { state?: WorkspaceState; templateVersionId?: string } = {}) {
  return getDb().workspace.create({
    data: {
      name,
      ownerId: owner.id,
      teamId: team.id,
      templateVersionId: data.templateVersionId ?? versions.v1,
      parameters: { cpu: 2, memoryGiB: 2, diskGiB: 10, values: { editor: "emacs" } },
      state: data.state ?? "STOPPED",
      desiredState: data.state === "RUNNING" ? "RUNNING" : "STOPPED",
    },
  });
}

/** The names on a list's first page, sorted. */
const names = (page: { items: { name: string }[] }) => page.items.map((item) => item.name).sort();

beforeAll(async () => {
  const template = await getDb().template.create({
    data: { slug: "listing", name: "Listing", versions: { create: [{ version: 1, spec: SPEC }, { version: 2, spec: SPEC }] } },
    include: { versions: { orderBy: { version: "asc" } } },
  });
  versions = { v1: template.versions[0]!.id, v2: template.versions[1]!.id };
  users = {
    ownerA: await createUser("owner@a.test", { name: "Olga Owner" }),
    adminA: await createUser("admin@a.test"),
    memberA: await createUser("member@a.test", { name: "Mia Member" }),
    otherA: await createUser("other@a.test"),
    memberB: await createUser("member@b.test"),
    platform: await createUser("root@podspace.test", { isPlatformAdmin: true }),
  };
  teamA = await createTeamWith("team-a", [
    [users.ownerA, "OWNER"],
    [users.adminA, "ADMIN"],
    [users.memberA, "MEMBER"],
    [users.otherA, "MEMBER"],
  ]);
  teamB = await createTeamWith("team-b", [[users.memberB, "MEMBER"]]);
  actors = Object.fromEntries(await Promise.all(Object.entries(users).map(async ([key, user]) => [key, await actorFor(user)]))) as typeof actors;

  await workspace(users.memberA, teamA, "mia-one", { state: "RUNNING" });
  await workspace(users.memberA, teamA, "mia-two", { templateVersionId: versions.v2 });
  await workspace(users.otherA, teamA, "other-one");
  await workspace(users.adminA, teamA, "admin-one");
  await workspace(users.memberB, teamB, "bea-one");
  await workspace(users.memberA, teamA, "mia-deleted", { state: "DELETED" });
});

describe("listing workspaces", () => {
  it("shows a member only their own, in either scope", async () => {
    expect(names(await listWorkspacesFor(actors.memberA, { scope: "mine" }))).toEqual(["mia-one", "mia-two"]);
    expect(names(await listWorkspacesFor(actors.memberA, { scope: "team", teamId: teamA.id }))).toEqual(["mia-one", "mia-two"]);
    expect(names(await listWorkspacesFor(actors.memberA, { scope: "team" }))).toEqual(["mia-one", "mia-two"]);
  });

  it("shows team owners and admins the whole team's, and only their own as 'mine'", async () => {
    const team = ["admin-one", "mia-one", "mia-two", "other-one"];
    expect(names(await listWorkspacesFor(actors.adminA, { scope: "team", teamId: teamA.id }))).toEqual(team);
    expect(names(await listWorkspacesFor(actors.ownerA, { scope: "team", teamId: teamA.id }))).toEqual(team);
    expect(names(await listWorkspacesFor(actors.ownerA, { scope: "team" }))).toEqual(team);
    expect(names(await listWorkspacesFor(actors.adminA, { scope: "mine" }))).toEqual(["admin-one"]);
  });

  it("refuses another team's list as not found", async () => {
    await expect(listWorkspacesFor(actors.memberA, { scope: "team", teamId: teamB.id })).rejects.toMatchObject({ code: "not_found" });
    await expect(listWorkspacesFor(actors.ownerA, { scope: "mine", teamId: teamB.id })).rejects.toMatchObject({ code: "not_found" });
  });

  it("lets platform admins see every team's", async () => {
    expect(names(await listWorkspacesFor(actors.platform, { scope: "team" }))).toEqual(["admin-one", "bea-one", "mia-one", "mia-two", "other-one"]);
    expect(await listWorkspacesFor(actors.platform, { scope: "mine" })).toEqual({ items: [], previous: null, next: null, total: 0 });
  });

  it("leaves deleted workspaces out", async () => {
    const all = await listWorkspacesFor(actors.platform, { scope: "team" });
    expect(all.items.some((item) => item.state === "DELETED")).toBe(false);
    expect(all.total).toBe(5);
  });

  it("describes each with owner, team, template version, the newest version and resources", async () => {
    const { items } = await listWorkspacesFor(actors.ownerA, { scope: "team", teamId: teamA.id });
    const two = items.find((item) => item.name === "mia-two");
    const one = items.find((item) => item.name === "mia-one");
    expect(one).toMatchObject({
      state: "RUNNING",
      desiredState: "RUNNING",
      owner: { id: users.memberA.id, name: "Mia Member", email: "member@a.test" },
      team: { id: teamA.id, slug: "team-a" },
      template: { slug: "listing", name: "Listing", version: 1, latestVersion: 2, archived: false },
      resources: { cpu: 2, memoryGiB: 2, diskGiB: 10 },
      canOperate: true,
      // Only the owner gets a shell in it.
      canConnect: false,
    });
    expect(two!.template).toMatchObject({ version: 2, latestVersion: 2 });
  });
});

describe("getting one workspace", () => {
  const idOf = async (name: string) => (await getDb().workspace.findFirstOrThrow({ where: { name: { startsWith: name } } })).id;

  it("answers not found for another team's workspace, the same as for no workspace at all", async () => {
    const bea = await idOf("bea-one");
    await expect(getWorkspaceForActor(actors.memberA, bea)).rejects.toMatchObject({ code: "not_found", message: "Workspace not found." });
    await expect(getWorkspaceForActor(actors.ownerA, bea)).rejects.toMatchObject({ code: "not_found", message: "Workspace not found." });
    await expect(getWorkspaceForActor(actors.memberA, "no-such-workspace")).rejects.toMatchObject({ code: "not_found", message: "Workspace not found." });
  });

  it("answers not found for a teammate's workspace to a member", async () => {
    await expect(getWorkspaceForActor(actors.memberA, await idOf("other-one"))).rejects.toMatchObject({ code: "not_found" });
  });

  it("shows a member their own and a team admin the team's", async () => {
    const id = await idOf("mia-one");
    expect(await getWorkspaceForActor(actors.memberA, id)).toMatchObject({ id, name: "mia-one", canOperate: true, canConnect: true });
    expect(await getWorkspaceForActor(actors.adminA, id)).toMatchObject({ id, name: "mia-one", canOperate: true, canConnect: false });
    expect(await getWorkspaceForActor(actors.platform, id)).toMatchObject({ id });
  });

  it("answers not found for a deleted workspace", async () => {
    await expect(getWorkspaceForActor(actors.memberA, await idOf("mia-deleted"))).rejects.toMatchObject({ code: "not_found" });
  });

  it("includes the events, oldest first, and the parameters with their labels", async () => {
    const id = await idOf("mia-two");
    const t0 = Date.now() - 10_000;
    await getDb().workspaceEvent.createMany({
      data: [
        { workspaceId: id, step: "state", message: "Starting", data: { from: "PENDING", to: "STARTING" }, createdAt: new Date(t0) },
        { workspaceId: id, step: "volume", message: "Home directory", durationMs: 12, createdAt: new Date(t0 + 1000) },
        { workspaceId: id, step: "state", level: "ERROR", message: "The IDE exited", data: { from: "STARTING", to: "FAILED", reason: "crashed" }, createdAt: new Date(t0 + 2000) },
      ],
    });
    const detail = await getWorkspaceForActor(actors.memberA, id);
    expect(detail.events).toMatchObject([
      { step: "state", level: "INFO", message: "Starting", data: { from: "PENDING", to: "STARTING" }, durationMs: null },
      { step: "volume", message: "Home directory", durationMs: 12, createdAt: new Date(t0 + 1000).toISOString() },
      { step: "state", level: "ERROR", data: { to: "FAILED", reason: "crashed" } },
    ]);
    expect(detail.parameters).toEqual([{ name: "editor", label: "Editor", value: "emacs" }]);
  });

  it("loads only the latest events, however many there are", async () => {
    const { id } = await workspace(users.memberA, teamA, "chatty");
    const t0 = Date.now() - 3_600_000;
    await getDb().workspaceEvent.createMany({
      data: Array.from({ length: EVENT_PAGE + 50 }, (_, n) => ({ workspaceId: id, step: "state", message: `Event ${n}`, createdAt: new Date(t0 + n * 1000) })),
    });
    const { events } = await getWorkspaceForActor(actors.memberA, id);
    expect(events).toHaveLength(EVENT_PAGE);
    expect(events[0]!.message).toBe("Event 50");
    expect(events.at(-1)!.message).toBe(`Event ${EVENT_PAGE + 49}`);
  });
});

describe("watching a workspace", () => {
  /** Collects updates until `until` holds for the ones so far, then stops the watch. */
  async function collect(updates: AsyncGenerator<WorkspaceUpdate>, controller: AbortController, until: (all: WorkspaceUpdate[]) => boolean) {
    const all: WorkspaceUpdate[] = [];
    for await (const update of updates) {
      all.push(update);
      if (until(all)) controller.abort();
    }
    return all;
  }

  it("refuses a workspace out of reach as not found", async () => {
    const bea = await getDb().workspace.findFirstOrThrow({ where: { name: "bea-one" } });
    const updates = watchWorkspace(actors.memberA, bea.id, { signal: new AbortController().signal });
    await expect(updates.next()).rejects.toMatchObject({ code: "not_found" });
  });

  it("sends the state, the events so far, then new events and state changes as they are written, until stopped", async () => {
    const { id } = await workspace(users.memberA, teamA, "watched");
    await getDb().workspaceEvent.create({ data: { workspaceId: id, step: "state", message: "Created" } });
    const controller = new AbortController();
    const updates = watchWorkspace(actors.memberA, id, { signal: controller.signal, intervalMs: 50 });

    const seen = collect(updates, controller, (all) => all.some((update) => update.type === "state" && update.workspace.state === "RUNNING"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await getDb().workspaceEvent.create({ data: { workspaceId: id, step: "volume", message: "Home directory", durationMs: 5 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // An event written late with an earlier time (a transaction committing late) still arrives.
    await getDb().workspaceEvent.create({ data: { workspaceId: id, step: "scheduling", message: "Late", createdAt: new Date(Date.now() - 5000) } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await getDb().workspace.update({ where: { id }, data: { state: "RUNNING", desiredState: "RUNNING" } });

    const all = await seen;
    expect(all[0]).toMatchObject({ type: "state", workspace: { state: "STOPPED", desiredState: "STOPPED" } });
    const events = all.flatMap((update) => (update.type === "event" ? [update.event.message] : []));
    expect(events).toEqual(["Created", "Home directory", "Late"]);
    expect(all.at(-1)).toMatchObject({ type: "state", workspace: { state: "RUNNING", desiredState: "RUNNING" } });
  });

  it("resumes after a given time, and ends when the workspace is deleted", async () => {
    const { id } = await workspace(users.memberA, teamA, "resumed");
    const old = new Date(Date.now() - 120_000);
    await getDb().workspaceEvent.create({ data: { workspaceId: id, step: "state", message: "Long ago", createdAt: old } });
    await getDb().workspaceEvent.create({ data: { workspaceId: id, step: "state", message: "Recent" } });
    const controller = new AbortController();
    const updates = watchWorkspace(actors.memberA, id, { signal: controller.signal, since: new Date(Date.now() - 1000), intervalMs: 50 });

    const seen = collect(updates, controller, () => false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await getDb().workspace.update({ where: { id }, data: { state: "DELETED", deletedAt: new Date() } });

    const all = await seen;
    expect(all.flatMap((update) => (update.type === "event" ? [update.event.message] : []))).toEqual(["Recent"]);
    expect(all.at(-2)).toMatchObject({ type: "state", workspace: { state: "DELETED" } });
    expect(all.at(-1)).toEqual({ type: "gone" });
  });
});
