import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError, conflictOnUnique } from "@/lib/errors";
import type { CreateTeamInput } from "@/lib/schemas/teams";
import { teamRefSelect, type TeamRef } from "./access";
import { insertMembership } from "./add-member";

/** Creates a team with its first owner (a placeholder user if they never signed in). */
export async function createTeam(actor: Actor, input: CreateTeamInput): Promise<TeamRef> {
  if (!can(actor, "team:create")) throw new AppError("forbidden", "Only platform admins can create teams.");
  const slugTaken = new AppError("conflict", `A team with the slug "${input.slug}" already exists.`, "slug");
  try {
    return await getDb().$transaction(async (tx) => {
      if (await tx.team.findUnique({ where: { slug: input.slug }, select: { id: true } })) throw slugTaken;
      const team = await tx.team.create({
        data: { slug: input.slug, name: input.name },
        select: teamRefSelect,
      });
      await recordAudit(
        {
          action: "team.created",
          actorId: actor.id,
          targetType: "team",
          targetId: team.id,
          teamId: team.id,
          after: { slug: team.slug, name: team.name },
        },
        tx,
      );
      await insertMembership(tx, actor.id, team.id, input.ownerEmail, "OWNER");
      return team;
    });
  } catch (error) {
    throw conflictOnUnique(error, slugTaken);
  }
}
