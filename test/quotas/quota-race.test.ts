import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { metrics } from "@/lib/observability/metrics";
import { createWorkspace } from "@/lib/workspaces/create-workspace";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// Quotas under real concurrency: PostgreSQL, 50 requests at once.

usePostgresAppDatabase();

const SPEC = {
  slug: "race",
  name: "Race",
  image: "podspace/test:1",
  resources: { cpu: { default: 1, options: [1, 2] }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  ide: { command: ["true"] },
};

/** podspace_quota_rejections_total for one limit. */
const rejections = async (limit: string) => (await metrics.quotaRejections.get()).values.find((value) => value.labels.limit === limit)?.value ?? 0;

async function teamWithQuota(slug: string, quota: { maxRunningWorkspaces?: number; cpuMillicores?: number }) {
  const owner = await createUser(`owner@${slug}.test`);
  const team = await createTeamWith(slug, [[owner, "OWNER"]]);
  await getDb().teamQuota.create({ data: { teamId: team.id, scope: "LIMIT", ...quota } });
  return { team, actor: await actorFor(owner) };
}

describe("quota enforcement under concurrency", { timeout: 120_000 }, () => {
  it("lets exactly the allowed number of 50 parallel creates through", async () => {
    await getDb().template.create({ data: { slug: "race", name: "Race", versions: { create: { version: 1, spec: SPEC } } } });
    const { team, actor } = await teamWithQuota("race", { maxRunningWorkspaces: 7 });
    const rejectedBefore = await rejections("running workspaces");

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        createWorkspace(actor, { name: `ws-${i}`, teamId: team.id, templateSlug: "race", gitRepository: undefined, parameters: {} }),
      ),
    );
    const refused = results.filter((result) => result.status === "rejected");
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(7);
    expect(refused).toHaveLength(43);
    for (const result of refused) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: "quota", message: "Team race would use 8 of 7 running workspaces." });
    }
    expect(await getDb().workspace.count({ where: { teamId: team.id } })).toBe(7);
    expect((await rejections("running workspaces")) - rejectedBefore).toBe(43);
  });

  it("lets exactly as many stopped workspaces start as the CPU limit allows", async () => {
    const { team, actor } = await teamWithQuota("cpu", { cpuMillicores: 5000 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { id } = await getDb().workspace.create({
        data: {
          name: `s-${i}`,
          ownerId: actor.id,
          teamId: team.id,
          templateVersionId: (await getDb().templateVersion.findFirstOrThrow()).id,
          parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
          state: "STOPPED",
          desiredState: "STOPPED",
        },
      });
      ids.push(id);
    }
    const results = await Promise.allSettled(ids.map((workspaceId) => operateWorkspace(actor, { workspaceId, operation: "start" })));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(5);
    expect(await getDb().workspace.count({ where: { teamId: team.id, desiredState: "RUNNING" } })).toBe(5);
  });
});
