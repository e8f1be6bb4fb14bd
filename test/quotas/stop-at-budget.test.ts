import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getDb } from "@/lib/db/client";
import type { Team, User } from "@/lib/generated/prisma/client";
import { createPolicyLoop } from "@/lib/workspaces/policy-loop";
import { registerReconciler } from "@/lib/workspaces/reconcile-trigger";
import type { Reconciler } from "@/lib/workspaces/reconciler";
import { createTeamWith, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// "Stop at budget" on the policy loop, against PostgreSQL with a fake clock:
// a team whose quota says so has its running workspaces stopped once its
// month-to-date core-hours reach the budget; other teams keep running until
// their idle stop, and a new month starts the count again.

usePostgresAppDatabase();

const HOUR = 3_600_000;
const MONTH_START = new Date("2026-12-01T00:00:00.000Z");
const after = (ms: number) => new Date(MONTH_START.getTime() + ms);

describe("stopping at the monthly budget", () => {
  const reconcile = vi.fn((workspaceId: string) => Promise.resolve(void workspaceId));
  let owner: User;
  let versionId: string;

  beforeAll(async () => {
    owner = await createUser("owner@budget-stop.test");
    const template = await getDb().template.create({
      data: { slug: "budget", name: "Budget", versions: { create: { version: 1, spec: { idleTimeoutMinutes: 600, maxLifetimeHours: 1000 } } } },
      include: { versions: true },
    });
    versionId = template.versions[0]!.id;
    registerReconciler({ reconcile } as unknown as Reconciler);
  });
  afterAll(() => registerReconciler(undefined));

  /** A team with one workspace running since the start of the month on 2 cores, metered as an open interval. */
  async function teamRunning(slug: string, quota: { budget: number; stopAtBudget: boolean }) {
    const team: Team = await createTeamWith(slug, [[owner, "OWNER"]]);
    await getDb().teamQuota.createMany({
      data: [
        { teamId: team.id, scope: "LIMIT", monthlyCpuCoreHours: quota.budget },
        { teamId: team.id, scope: "CEILING", stopAtBudget: quota.stopAtBudget },
      ],
    });
    const workspace = await getDb().workspace.create({
      data: {
        name: `${slug}-ws`,
        ownerId: owner.id,
        teamId: team.id,
        templateVersionId: versionId,
        parameters: { cpu: 2, memoryGiB: 1, diskGiB: 1, values: {} },
        state: "RUNNING",
        desiredState: "RUNNING",
        startedAt: MONTH_START,
        // Always active: only the budget can stop it.
        lastActivityAt: new Date("2100-01-01T00:00:00Z"),
      },
    });
    await getDb().usageInterval.create({
      data: { kind: "COMPUTE", workspaceId: workspace.id, teamId: team.id, userId: owner.id, templateId: "budget", cpuMillicores: 2000, startedAt: MONTH_START, rolledUpUntil: MONTH_START },
    });
    return { team, workspaceId: workspace.id };
  }

  it("stops a stop-at-budget team's running workspaces when the budget runs out, and only those", async () => {
    // 2 cores against 10 core-hours: the budget is used up 5 h into the month.
    const strict = await teamRunning("strict", { budget: 10, stopAtBudget: true });
    const lenient = await teamRunning("lenient", { budget: 10, stopAtBudget: false });
    let now = after(4 * HOUR);
    const loop = createPolicyLoop({ now: () => now });

    expect(await loop.runOnce()).toEqual([]);

    now = after(5 * HOUR);
    expect(await loop.runOnce()).toEqual([
      { workspaceId: strict.workspaceId, action: "stop", reason: "budget", message: "Stopped: the team has used its monthly CPU budget" },
    ]);
    expect(await getDb().workspace.findUniqueOrThrow({ where: { id: strict.workspaceId } })).toMatchObject({ desiredState: "STOPPED" });
    expect(await getDb().workspace.findUniqueOrThrow({ where: { id: lenient.workspaceId } })).toMatchObject({ desiredState: "RUNNING" });
    expect(reconcile).toHaveBeenCalledWith(strict.workspaceId);
    expect(await getDb().auditLog.findMany({ where: { targetId: strict.workspaceId } })).toEqual([
      expect.objectContaining({ action: "workspace.auto-stopped", actorId: null, teamId: strict.team.id, after: expect.objectContaining({ reason: "budget" }) }),
    ]);

    // Next month the budget is fresh: a workspace running since then is left alone.
    await getDb().workspace.update({ where: { id: strict.workspaceId }, data: { desiredState: "RUNNING" } });
    now = new Date("2027-01-01T04:00:00.000Z");
    expect(await loop.runOnce()).toEqual([]);
  });
});
