import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listAuditLog, type AuditPage } from "@/lib/audit-log/list-audit-log";
import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { Prisma, type Team } from "@/lib/generated/prisma/client";
import { AUDIT_PAGE_SIZE, auditFilterSchema } from "@/lib/schemas/audit";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";
import { walkPages } from "../helpers/pages";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";
import { queryObservingClient } from "../helpers/query-counter";
import { pageQuery, planOf } from "../helpers/query-plan";

// The audit log a page at a time, on PostgreSQL with 30,000 entries: with or
// without filters, the pages hold every matching entry once, newest first,
// both ways; a team owner's pages hold only their team's, whatever the
// cursor; and each page is read from an index, with no count and no sort.

const sent: Prisma.QueryEvent[] = [];
usePostgresAppDatabase({ createClient: (url, pool) => queryObservingClient(url, (event) => sent.push(event), pool) });

const ENTRIES = 30_000;
let admin: CurrentUser;
let owner: CurrentUser;
let owned: Team;
let other: Team;

beforeAll(async () => {
  const [root, ownerUser, bob] = await Promise.all([
    createUser("root@audit-pages.test", { isPlatformAdmin: true }),
    createUser("owner@audit-pages.test", { name: "Olga Owner" }),
    createUser("bob@audit-pages.test", { name: "Bob" }),
  ]);
  owned = await createTeamWith("owned", [[ownerUser, "OWNER"]]);
  other = await createTeamWith("other", [[bob, "OWNER"]]);
  // A third of the entries each: the owned team's, the other team's and no team's; two to a second, so that the id breaks ties.
  await getDb().$executeRaw`
    INSERT INTO "AuditLog" (id, "actorId", "teamId", action, "targetType", "targetId", "createdAt")
    SELECT 'entry-' || n,
           (ARRAY[${root.id}, ${ownerUser.id}, ${bob.id}])[1 + n % 3],
           (ARRAY[${owned.id}, ${other.id}, NULL])[1 + (n / 3) % 3],
           (ARRAY['quota.limits-changed', 'membership.added', 'workspace.created', 'team.archived'])[1 + n % 4],
           'team', 'target-' || n, now() - (n / 2) * interval '1 second'
    FROM generate_series(1, ${ENTRIES}::int) AS n`;
  await getDb().$executeRaw`ANALYZE "AuditLog"`;
  [admin, owner] = await Promise.all([actorFor(root), actorFor(ownerUser)]);
});

beforeEach(() => {
  sent.length = 0;
});

/** Every page of the log as `actor` reads it with the filters in `query`, forward and back, as lists of entry ids. */
async function walk(actor: CurrentUser, query: Record<string, string>) {
  const ids = (pages: AuditPage[]) => pages.map((page) => page.items.map((entry) => entry.id));
  const { forward, backward } = await walkPages((cursor) => listAuditLog(actor, auditFilterSchema.parse({ ...query, cursor })));
  return { ids: ids(forward), backwardIds: ids(backward) };
}

/** The matching entries' ids in the log's order, straight from the database. */
async function expectedIds(where: Prisma.Sql) {
  const rows = await getDb().$queryRaw<Array<{ id: string }>>`SELECT id FROM "AuditLog" WHERE ${where} ORDER BY "createdAt" DESC, id DESC`;
  return rows.map((row) => row.id);
}

describe("paging through the audit log", () => {
  it("shows a team owner their team's entries, newest first, each once, page by page both ways", async () => {
    const expected = await expectedIds(Prisma.sql`"teamId" = ${owned.id}`);
    expect(expected.length).toBeGreaterThan(ENTRIES / 4);
    const { ids, backwardIds } = await walk(owner, {});
    expect(ids.flat()).toEqual(expected);
    expect(ids.slice(0, -1).every((page) => page.length === AUDIT_PAGE_SIZE)).toBe(true);
    expect(backwardIds).toEqual(ids);
  });

  it("keeps the filters from page to page", async () => {
    const { ids, backwardIds } = await walk(admin, { team: "other", action: "team.archived", actor: "BOB" });
    expect(ids.length).toBeGreaterThan(2);
    expect(ids.flat()).toEqual(
      await expectedIds(Prisma.sql`"teamId" = ${other.id} AND action = 'team.archived' AND "actorId" = (SELECT id FROM "User" WHERE name = 'Bob')`),
    );
    expect(backwardIds).toEqual(ids);
  });

  it("gives a team owner nothing of other teams through a cursor or a filter", async () => {
    // The admin's pages run through every team's entries and those of none.
    let page = await listAuditLog(admin, auditFilterSchema.parse({}));
    for (let n = 0; n < 5; n++) {
      page = await listAuditLog(admin, auditFilterSchema.parse({ cursor: page.next }));
      for (const cursor of [page.next, page.previous]) {
        const seen = await listAuditLog(owner, auditFilterSchema.parse({ cursor }));
        expect(seen.items.length).toBeGreaterThan(0);
        expect(seen.items.every((entry) => entry.team?.slug === "owned")).toBe(true);
      }
    }
    expect((await listAuditLog(owner, auditFilterSchema.parse({ team: "other" }))).items).toEqual([]);
  });

  it("reads each page from an index in the log's order, with nothing to sort", async () => {
    const first = await listAuditLog(admin, auditFilterSchema.parse({}));
    for (const [query, index] of [
      [{ cursor: first.next! }, "AuditLog_createdAt_id_idx"],
      [{ team: "owned" }, "AuditLog_teamId_createdAt_id_idx"],
      [{ action: "team.archived" }, "AuditLog_action_createdAt_id_idx"],
    ] as const) {
      sent.length = 0;
      await listAuditLog(admin, auditFilterSchema.parse(query));
      const plan = await planOf(pageQuery(sent, "AuditLog"));
      expect(plan, JSON.stringify(query)).toMatch(new RegExp(`Index (Only )?Scan Backward using "${index}"`));
      expect(plan, JSON.stringify(query)).not.toMatch(/Sort/);
      expect(sent.some((event) => /COUNT\(/i.test(event.query)), "no count").toBe(false);
    }
  });
});
