import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import type { User } from "@/lib/generated/prisma/client";
import { bulkStopWorkspaces } from "@/lib/workspaces/bulk-stop";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";

// Bulk stop across two teams: what it says about workspaces the actor can't
// see must not tell them apart from ids that don't exist.

useAppDatabase();

async function workspaceIn(teamId: string, owner: User, name: string) {
  const template = await getDb().template.create({
    data: { slug: `tpl-${name}`, name, versions: { create: { version: 1, spec: {} } } },
    include: { versions: true },
  });
  return getDb().workspace.create({
    data: { name, ownerId: owner.id, teamId, templateVersionId: template.versions[0]!.id, parameters: {} },
  });
}

describe("bulk stop", () => {
  it("answers alike for another team's workspace and an id that doesn't exist, naming neither", async () => {
    const [blueAdmin, blueDev, redOwner] = await Promise.all(["blue-admin", "blue-dev", "red-owner"].map((name) => createUser(`${name}@bulk.test`)));
    const blue = await createTeamWith("blue", [
      [blueAdmin!, "ADMIN"],
      [blueDev!, "MEMBER"],
    ]);
    const red = await createTeamWith("red", [[redOwner!, "OWNER"]]);
    const blueWs = await workspaceIn(blue.id, blueDev!, "blue-ws");
    const redWs = await workspaceIn(red.id, redOwner!, "red-ws");
    const fakeId = "c".repeat(redWs.id.length);

    const result = await bulkStopWorkspaces(await actorFor(blueAdmin!), [blueWs.id, redWs.id, fakeId]);
    expect(result).toEqual({
      stopped: ["blue-ws"],
      refused: [
        { name: redWs.id, message: "Workspace not found." },
        { name: fakeId, message: "Workspace not found." },
      ],
    });
    expect(JSON.stringify(result)).not.toContain("red-ws");
    expect((await getDb().workspace.findUniqueOrThrow({ where: { id: redWs.id } })).desiredState).toBe("RUNNING");

    // A plain member can't see a teammate's workspace either: no name for it.
    const adminsOwn = await workspaceIn(blue.id, blueAdmin!, "admins-ws");
    expect(await bulkStopWorkspaces(await actorFor(blueDev!), [adminsOwn.id])).toEqual({
      stopped: [],
      refused: [{ name: adminsOwn.id, message: "Workspace not found." }],
    });
  });
});
