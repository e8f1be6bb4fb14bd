import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { workspaceListQuerySchema } from "@/lib/schemas/workspaces";
import { listWorkspacesFor, WORKSPACE_PAGE_SIZE, type ListWorkspacesInput, type WorkspacePage } from "@/lib/workspaces/list-workspaces";
import { createFleetOwner, seedWorkspaces, type FleetOwner } from "../helpers/fleet";
import { actorFor, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";
import { queryObservingClient } from "../helpers/query-counter";
import { walkPages } from "../helpers/pages";
import { pageQuery, planOf } from "../helpers/query-plan";

// The workspace list a page at a time, on PostgreSQL with 10,000 workspaces,
// 2,000 of them in the team listed: the pages hold every workspace exactly
// once, in order, both ways; search and filters narrow them; nobody sees more
// through a cursor or a search than without; and each page is read from an
// index rather than sorted out of the whole team.

const sent: Prisma.QueryEvent[] = [];
usePostgresAppDatabase({ createClient: (url, pool) => queryObservingClient(url, (event) => sent.push(event), pool) });

const TEAM_SIZE = 2_000;
let team: FleetOwner;
let owner: CurrentUser;
let dana: CurrentUser;
let outsider: CurrentUser;

beforeAll(async () => {
  team = await createFleetOwner("paged");
  const elsewhere = await createFleetOwner("elsewhere");
  const danaUser = await createUser("dana@paged.test", { name: "Dana Developer" });
  await getDb().membership.create({ data: { teamId: team.teamId, userId: danaUser.id, role: "MEMBER" } });
  await seedWorkspaces(team, "old", TEAM_SIZE - 7, "STOPPED", "STOPPED");
  await seedWorkspaces({ ...team, ownerId: danaUser.id }, "dana", 7, "FAILED", "RUNNING");
  await seedWorkspaces(team, "gone", 5, "DELETED", "DELETED");
  await seedWorkspaces(elsewhere, "far", 10_000 - TEAM_SIZE, "STOPPED", "STOPPED");
  // One INSERT gives its rows one createdAt: spread them out, three to a millisecond, so that the id breaks ties.
  await getDb().$executeRaw`UPDATE "Workspace" SET "createdAt" = "createdAt" - (substring(id FROM '[0-9]+$')::int / 3) * interval '1 second' WHERE id LIKE 'old%'`;
  await getDb().$executeRaw`ANALYZE "Workspace"`;
  [owner, dana, outsider] = await Promise.all([actorFor({ id: team.ownerId }), actorFor(danaUser), actorFor({ id: elsewhere.ownerId })]);
});

beforeEach(() => {
  sent.length = 0;
});

/** The page the link with `cursor` shows, the cursor read back from the URL as the page reads it. */
const follow = (actor: CurrentUser, input: ListWorkspacesInput, cursor: string | undefined) =>
  listWorkspacesFor(actor, { ...input, cursor: workspaceListQuerySchema.parse({ cursor }).cursor });

const idsOf = (pages: WorkspacePage[]) => pages.map((page) => page.items.map((item) => item.id));

/** Every page, forward and back (walkPages), and their workspaces' ids page by page. */
async function walk(actor: CurrentUser, input: ListWorkspacesInput) {
  const { forward, backward } = await walkPages((cursor) => follow(actor, input, cursor));
  return { forward, ids: idsOf(forward), backwardIds: idsOf(backward) };
}

/** The team's workspaces in the list's order, straight from the database. */
async function expectedIds(where: Prisma.Sql) {
  const rows = await getDb().$queryRaw<Array<{ id: string }>>`
    SELECT w.id FROM "Workspace" w JOIN "User" u ON u.id = w."ownerId"
    WHERE w."teamId" = ${team.teamId} AND w.state <> 'DELETED' AND ${where}
    ORDER BY w."createdAt" DESC, w.id DESC`;
  return rows.map((row) => row.id);
}

describe("paging through the workspace list", () => {
  it("shows the whole team a page at a time, newest first, each workspace once, and the same pages on the way back", async () => {
    const expected = await expectedIds(Prisma.sql`TRUE`);
    expect(expected).toHaveLength(TEAM_SIZE);
    const { forward, ids, backwardIds } = await walk(owner, { scope: "team", teamId: team.teamId });

    expect(ids.flat()).toEqual(expected);
    expect(ids.map((page) => page.length)).toEqual([...Array(TEAM_SIZE / WORKSPACE_PAGE_SIZE).fill(WORKSPACE_PAGE_SIZE)]);
    expect(forward.every((page) => page.total === TEAM_SIZE)).toBe(true);
    expect(forward[0]!.previous).toBeNull();
    expect(forward.at(-1)!.next).toBeNull();
    expect(backwardIds).toEqual(ids);
  });

  it("narrows the pages by state, by name, by template and, on the team tab, by owner", async () => {
    const input = { scope: "team", teamId: team.teamId } as const;
    const failed = await walk(owner, { ...input, state: "failed" });
    expect(failed.ids.flat()).toEqual(await expectedIds(Prisma.sql`w.state = 'FAILED'`));
    expect(failed.forward[0]!.total).toBe(7);
    expect((await listWorkspacesFor(owner, { ...input, state: "in-progress" })).total).toBe(0);

    // Over a thousand names contain "old-1" (old-1, old-10…): many pages, in order all the same.
    const named = await walk(owner, { ...input, q: "OLD-1" });
    const namedIds = await expectedIds(Prisma.sql`w.name ILIKE '%old-1%'`);
    expect(namedIds.length).toBeGreaterThan(1_000);
    expect(named.ids.flat()).toEqual(namedIds);
    expect(named.forward[0]!.total).toBe(namedIds.length);
    expect(named.backwardIds).toEqual(named.ids);

    expect((await listWorkspacesFor(owner, { ...input, q: "developer" })).items.map((item) => item.owner.name)).toEqual(Array(7).fill("Dana Developer"));
    expect((await listWorkspacesFor(owner, { ...input, q: "dana@paged" })).total).toBe(7);
    expect((await listWorkspacesFor(owner, { ...input, q: "developer", state: "running" })).total).toBe(0);
    // The fleet's template is called "Test"; its workspaces' names don't say so.
    expect((await listWorkspacesFor(owner, { scope: "mine", q: "test" })).total).toBe(TEAM_SIZE - 7);
    // Mine is the actor's own: another owner's name finds nothing there.
    expect((await listWorkspacesFor(owner, { scope: "mine", q: "developer" })).total).toBe(0);
  });

  it("shows a member only their own, whatever the cursor or search", async () => {
    const own = await expectedIds(Prisma.sql`u.email = 'dana@paged.test'`);
    for (const scope of ["mine", "team"] as const) {
      expect((await walk(dana, { scope, teamId: team.teamId })).ids.flat()).toEqual(own);
      expect((await listWorkspacesFor(dana, { scope, teamId: team.teamId, q: "old" })).total).toBe(0);
    }
    // A cursor from the owner's pages, into other people's workspaces, still shows Dana only hers.
    const ownersPages = await walk(owner, { scope: "team", teamId: team.teamId });
    for (const page of ownersPages.forward.slice(0, 3)) {
      for (const cursor of [page.next, page.previous].filter((value) => value !== null)) {
        const seen = await follow(dana, { scope: "team", teamId: team.teamId }, cursor);
        expect(seen.items.every((item) => item.owner.email === "dana@paged.test")).toBe(true);
      }
    }
    // Another team's owner gets no page of this team at all.
    await expect(follow(outsider, { scope: "team", teamId: team.teamId }, ownersPages.forward[0]!.next!)).rejects.toMatchObject({ code: "not_found" });
    expect((await listWorkspacesFor(outsider, { scope: "mine", q: "old" })).total).toBe(0);
  });

  it("reads a page, with each workspace's owner, team and template, in two statements (its rows, its total)", async () => {
    // Every page of the app reads lists like this one under load, each statement waiting for a pooled connection (prisma/schema.prisma: relationJoins).
    const page = await listWorkspacesFor(owner, { scope: "team", teamId: team.teamId });
    expect(page.items).toHaveLength(WORKSPACE_PAGE_SIZE);
    expect(page.items[0]).toMatchObject({ owner: { email: expect.any(String) }, team: { slug: expect.any(String) }, template: { name: expect.any(String) } });
    expect(sent.map((event) => event.query.slice(0, 40))).toHaveLength(2);
  });

  it("reads every page from an index in the list's order, with nothing to sort", async () => {
    const first = await listWorkspacesFor(owner, { scope: "team", teamId: team.teamId });
    sent.length = 0;
    await follow(owner, { scope: "team", teamId: team.teamId }, first.next!);
    const teamPlan = await planOf(pageQuery(sent, "Workspace"));
    expect(teamPlan).toMatch(/Index Scan Backward using "Workspace_teamId_createdAt_id_idx"/);
    expect(teamPlan).not.toMatch(/Sort/);

    sent.length = 0;
    await listWorkspacesFor(owner, { scope: "mine" });
    const minePlan = await planOf(pageQuery(sent, "Workspace"));
    expect(minePlan).toMatch(/Index Scan Backward using "Workspace_(owner|team)Id_createdAt_id_idx"/);
    expect(minePlan).not.toMatch(/Sort/);
  });
});
