import { describe, expect, it } from "vitest";
import { withAuditVia } from "@/lib/audit";
import { createPrismaClient, getDb } from "@/lib/db/client";
import type { Team, User } from "@/lib/generated/prisma/client";
import type { WorkspaceState } from "@/lib/generated/prisma/enums";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { startBatcher } from "@/lib/workspaces/start-batch";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// Starts decided in batches (lib/workspaces/start-batch.ts) on real
// PostgreSQL: a burst submitted in one turn is one batch, decided in order
// against the quota as the starts before it left it.

const database = usePostgresAppDatabase();

let versionId: string | undefined;

async function stoppedWorkspaces(team: Team, owner: User, count: number, prefix: string, data: { state?: WorkspaceState; dormantAt?: Date } = {}) {
  versionId ??= (await getDb().templateVersion.create({ data: { version: 1, spec: {}, template: { create: { slug: "batch", name: "Batch" } } } })).id;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { id } = await getDb().workspace.create({
      data: {
        name: `${prefix}-${i}`,
        ownerId: owner.id,
        teamId: team.id,
        templateVersionId: versionId,
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
        state: data.state ?? "STOPPED",
        desiredState: "STOPPED",
        dormantAt: data.dormantAt ?? null,
      },
    });
    ids.push(id);
  }
  return ids;
}

const messages = (results: PromiseSettledResult<void>[]) =>
  results.map((result) => (result.status === "fulfilled" ? "started" : `${(result.reason as { code: string }).code}: ${(result.reason as Error).message}`));

describe("starts decided in batches", { timeout: 120_000 }, () => {
  it("decides a burst in the order asked, each start seeing the ones before it, and one refusal fails only itself", async () => {
    const owner = await createUser("owner@order.test");
    const looker = await createUser("looker@order.test");
    const team = await createTeamWith("order", [[owner, "OWNER"], [looker, "MEMBER"]]);
    await getDb().teamQuota.create({ data: { teamId: team.id, scope: "LIMIT", maxRunningWorkspaces: 2, monthlyCpuCoreHours: 1000 } });
    const [a, b, c, d] = await stoppedWorkspaces(team, owner, 4, "order");
    const [failed] = await stoppedWorkspaces(team, owner, 1, "failed", { state: "FAILED", dormantAt: new Date() });
    const [actor, viewer] = [await actorFor(owner), await actorFor(looker)];

    // One turn: one batch.
    const asked = new Date();
    const results = await Promise.allSettled([
      // Another member's: not theirs to see.
      operateWorkspace(viewer, { workspaceId: a!, operation: "start" }),
      operateWorkspace(actor, { workspaceId: "nonexistent", operation: "start" }),
      operateWorkspace(actor, { workspaceId: b!, operation: "retry" }),
      withAuditVia("token ci", () => operateWorkspace(actor, { workspaceId: a!, operation: "start" })),
      // The same workspace again: meant to run already, so it takes nothing more.
      operateWorkspace(actor, { workspaceId: a!, operation: "start" }),
      operateWorkspace(actor, { workspaceId: failed!, operation: "retry" }),
      operateWorkspace(actor, { workspaceId: c!, operation: "start" }),
      operateWorkspace(actor, { workspaceId: d!, operation: "start" }),
    ]);
    expect(messages(results)).toEqual([
      "not_found: Workspace not found.",
      "not_found: Workspace not found.",
      "conflict: Only a failed workspace can be retried.",
      "started",
      "started",
      "started",
      "quota: Team order would use 3 of 2 running workspaces.",
      "quota: Team order would use 3 of 2 running workspaces.",
    ]);
    const rows = await getDb().workspace.findMany({ where: { teamId: team.id }, orderBy: { name: "asc" } });
    expect(rows.map((row) => [row.name, row.desiredState, row.state])).toEqual([
      ["failed-0", "RUNNING", "PENDING"],
      ["order-0", "RUNNING", "STOPPED"],
      ["order-1", "STOPPED", "STOPPED"],
      ["order-2", "STOPPED", "STOPPED"],
      ["order-3", "STOPPED", "STOPPED"],
    ]);
    const retried = rows[0]!;
    // A retry wakes a dormant workspace and is on its events; every start asked is audited, as the actor acted.
    expect(retried).toMatchObject({ dormantAt: null, deletionScheduledAt: null });
    // When it was asked, and its state changed then (the times written as they are, whatever the session's time zone).
    expect(retried.startRequestedAt!.getTime()).toBeGreaterThanOrEqual(asked.getTime());
    expect(retried.stateChangedAt!.getTime()).toBeGreaterThanOrEqual(retried.startRequestedAt!.getTime());
    expect(retried.stateChangedAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await getDb().workspaceEvent.findMany({ where: { workspaceId: failed! }, select: { message: true, data: true } })).toEqual([
      { message: "Retrying", data: { from: "FAILED", to: "PENDING" } },
    ]);
    const audits = await getDb().auditLog.findMany({ where: { teamId: team.id }, orderBy: { createdAt: "asc" } });
    expect(audits.map((entry) => [entry.action, entry.targetId, entry.via, entry.before, entry.after])).toEqual(
      expect.arrayContaining([
        ["workspace.start-requested", a, "token ci", { desiredState: "STOPPED", state: "STOPPED" }, { desiredState: "RUNNING", state: "STOPPED" }],
        ["workspace.start-requested", a, null, { desiredState: "RUNNING", state: "STOPPED" }, { desiredState: "RUNNING", state: "STOPPED" }],
        ["workspace.retry-requested", failed, null, { desiredState: "STOPPED", state: "FAILED" }, { desiredState: "RUNNING", state: "PENDING" }],
      ]),
    );
    expect(audits).toHaveLength(3);
  });

  it("holds a member to their own running limit within one batch", async () => {
    const owner = await createUser("owner@member.test");
    const team = await createTeamWith("member", [[owner, "OWNER"]]);
    await getDb().teamQuota.create({ data: { teamId: team.id, scope: "LIMIT", maxRunningPerMember: 2 } });
    const ids = await stoppedWorkspaces(team, owner, 5, "member");
    const actor = await actorFor(owner);
    const results = await Promise.allSettled(ids.map((workspaceId) => operateWorkspace(actor, { workspaceId, operation: "start" })));
    expect(messages(results)).toEqual([
      "started",
      "started",
      ...Array(3).fill("quota: Team member limits running workspaces per member to 2; this member would have 3."),
    ]);
  });

  it("never admits more than the quota when two replicas start a team's workspaces at once", async () => {
    const owner = await createUser("owner@replicas.test");
    const team = await createTeamWith("replicas", [[owner, "OWNER"]]);
    await getDb().teamQuota.create({ data: { teamId: team.id, scope: "LIMIT", maxRunningWorkspaces: 13, cpuMillicores: 40_000 } });
    const ids = await stoppedWorkspaces(team, owner, 120, "replicas");
    const actor = await actorFor(owner);
    // Another replica: its own batcher, through its own pool to the same database.
    const other = createPrismaClient({ kind: "postgres", url: database.url() });
    try {
      const starts = [startBatcher(getDb), startBatcher(() => other)];
      // Bursts a turn apart from each, so that batches of both replicas overlap.
      const pending: Array<Promise<void>> = [];
      for (let round = 0; round < 4; round++) {
        pending.push(...ids.slice(round * 30, round * 30 + 30).map((workspaceId, i) => starts[i % 2]!(actor, workspaceId, "start")));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const results = await Promise.allSettled(pending);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(13);
      for (const result of results.filter((result) => result.status === "rejected")) {
        expect((result as PromiseRejectedResult).reason).toMatchObject({ code: "quota", message: "Team replicas would use 14 of 13 running workspaces." });
      }
      expect(await getDb().workspace.count({ where: { teamId: team.id, desiredState: "RUNNING" } })).toBe(13);
    } finally {
      await other.$disconnect();
    }
  });
});
