import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { headroom, teamLimits, teamUsage } from "@/lib/quotas/usage";
import { useAppDatabase } from "../helpers/app-database";
import { createTeamWith, createUser } from "../helpers/identity";

useAppDatabase();

async function templateVersionId(): Promise<string> {
  const existing = await getDb().templateVersion.findFirst({ select: { id: true } });
  if (existing) return existing.id;
  const template = await getDb().template.create({
    data: { slug: "usage", name: "Usage", versions: { create: { version: 1, spec: {} } } },
    include: { versions: true },
  });
  return template.versions[0]!.id;
}

let counter = 0;
async function workspace(teamId: string, ownerId: string, resources: { cpu: number; memoryGiB: number; diskGiB: number }, state: WorkspaceState, desiredState: DesiredState, deletedAt: Date | null = null) {
  await getDb().workspace.create({
    data: {
      name: `ws-${++counter}`,
      teamId,
      ownerId,
      templateVersionId: await templateVersionId(),
      parameters: { ...resources, values: {} },
      state,
      desiredState,
      deletedAt,
    },
  });
}

describe("a team's usage", () => {
  it("counts CPU and memory of running (or starting, or wanted running) workspaces, and disk of all but deleted ones", async () => {
    const owner = await createUser("owner@usage.test");
    const team = await createTeamWith("usage", [[owner, "OWNER"]]);
    const other = await createTeamWith("usage-other", [[owner, "MEMBER"]]);

    await workspace(team.id, owner.id, { cpu: 2, memoryGiB: 4, diskGiB: 10 }, "RUNNING", "RUNNING");
    await workspace(team.id, owner.id, { cpu: 1, memoryGiB: 2, diskGiB: 5 }, "PENDING", "RUNNING"); // being created
    await workspace(team.id, owner.id, { cpu: 0.5, memoryGiB: 1, diskGiB: 20 }, "STARTING", "STOPPED"); // stop requested mid-start
    await workspace(team.id, owner.id, { cpu: 4, memoryGiB: 8, diskGiB: 30 }, "STOPPED", "STOPPED");
    await workspace(team.id, owner.id, { cpu: 4, memoryGiB: 8, diskGiB: 40 }, "FAILED", "STOPPED");
    await workspace(team.id, owner.id, { cpu: 8, memoryGiB: 16, diskGiB: 100 }, "DELETED", "DELETED", new Date());
    await workspace(other.id, owner.id, { cpu: 8, memoryGiB: 16, diskGiB: 100 }, "RUNNING", "RUNNING");

    expect(await teamUsage(team.id)).toEqual({ cpuCores: 3.5, memoryGiB: 7, storageGiB: 105, workspaces: 5, runningWorkspaces: 3 });
    expect(await teamUsage((await createTeamWith("usage-empty")).id)).toEqual({
      cpuCores: 0,
      memoryGiB: 0,
      storageGiB: 0,
      workspaces: 0,
      runningWorkspaces: 0,
    });
  });

  it("treats parameters it can't read as zero rather than failing", async () => {
    const owner = await createUser("owner@usage-odd.test");
    const team = await createTeamWith("usage-odd", [[owner, "OWNER"]]);
    await getDb().workspace.create({
      data: { name: "odd", teamId: team.id, ownerId: owner.id, templateVersionId: await templateVersionId(), parameters: { cpu: "2" }, state: "RUNNING" },
    });
    expect(await teamUsage(team.id)).toMatchObject({ cpuCores: 0, workspaces: 1, runningWorkspaces: 1 });
  });
});

describe("a team's limits", () => {
  it("reads the LIMIT quota in cores and GiB, null meaning unlimited, and ignores the CEILING", async () => {
    const team = await createTeamWith("limits");
    expect(await teamLimits(team.id)).toEqual({ cpuCores: null, memoryGiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null });

    await getDb().teamQuota.create({ data: { teamId: team.id, scope: "CEILING", cpuMillicores: 64_000, memoryMiB: 262_144 } });
    await getDb().teamQuota.create({
      data: { teamId: team.id, scope: "LIMIT", cpuMillicores: 6_000, memoryMiB: 12_288, storageGiB: 200, maxWorkspaces: 10, maxRunningWorkspaces: null },
    });
    const limits = await teamLimits(team.id);
    expect(limits).toEqual({ cpuCores: 6, memoryGiB: 12, storageGiB: 200, workspaces: 10, runningWorkspaces: null });

    const usage = { cpuCores: 7, memoryGiB: 4.5, storageGiB: 50, workspaces: 3, runningWorkspaces: 2 };
    expect(headroom(usage, limits)).toEqual({ cpuCores: 0, memoryGiB: 7.5, storageGiB: 150, workspaces: 7, runningWorkspaces: null });
  });
});
