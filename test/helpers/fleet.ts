import { getDb } from "@/lib/db/client";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { utcTimestamp } from "@/lib/usage/meter";
import { createTeamWith, createUser } from "./identity";
import { TEST_TEMPLATE } from "./test-template";

// Thousands of workspaces in one team, written with one INSERT each batch,
// for the background loops' tests and benchmark.

export interface FleetOwner {
  ownerId: string;
  teamId: string;
  templateVersionId: string;
}

/** A user owning a team and a valid template version for the fleet's workspaces. */
export async function createFleetOwner(slug: string): Promise<FleetOwner> {
  const owner = await createUser(`owner@${slug}.test`);
  const team = await createTeamWith(slug, [[owner, "OWNER"]]);
  const version = await getDb().templateVersion.create({
    data: { version: 1, spec: TEST_TEMPLATE as object, template: { create: { slug: `${slug}-test`, name: "Test" } } },
  });
  return { ownerId: owner.id, teamId: team.id, templateVersionId: version.id };
}

/** `count` workspaces with ids `<prefix><n>` and names `<prefix>-<n>`, n from 1, in one INSERT. */
export async function seedWorkspaces(owner: FleetOwner, prefix: string, count: number, state: WorkspaceState, desiredState: DesiredState): Promise<void> {
  const { ownerId, teamId, templateVersionId } = owner;
  await getDb().$executeRaw`
    INSERT INTO "Workspace" ("id", "name", "ownerId", "teamId", "templateVersionId", "parameters", "state", "desiredState", "updatedAt")
    SELECT ${prefix} || n, ${prefix} || '-' || n, ${ownerId}, ${teamId}, ${templateVersionId},
           '{"cpu": 1, "memoryGiB": 1, "diskGiB": 1, "values": {}}'::jsonb,
           ${state}::"WorkspaceState", ${desiredState}::"DesiredState", now()
    FROM generate_series(1, ${count}::int) AS n`;
}

/** An open 1 GiB STORAGE interval, as metering keeps one, for each of the workspaces `<prefix><n>`, opened and rolled up until `since`. */
export async function seedVolumes(prefix: string, count: number, since: Date): Promise<void> {
  await getDb().$executeRaw`
    INSERT INTO "UsageInterval" ("id", "kind", "workspaceId", "teamId", "userId", "templateId", "storageGiB", "startedAt", "rolledUpUntil")
    SELECT 'volume-' || w."id", 'STORAGE', w."id", w."teamId", w."ownerId", v."templateId", 1, ${utcTimestamp(since)}, ${utcTimestamp(since)}
      FROM generate_series(1, ${count}::int) AS n
      JOIN "Workspace" w ON w."id" = ${prefix} || n
      JOIN "TemplateVersion" v ON v."id" = w."templateVersionId"`;
}
