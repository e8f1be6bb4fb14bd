import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { SetTeamArchivedInput } from "@/lib/schemas/teams";
import { teamDenied, teamNotFound, teamRefSelect, type TeamRef } from "./access";

/**
 * Archives or restores a team. An archived team keeps its members and
 * history but drops out of their teams and roles until it is restored.
 */
export async function setTeamArchived(actor: Actor, input: SetTeamArchivedInput): Promise<TeamRef> {
  if (!can(actor, "team:archive", { teamId: input.teamId })) {
    throw teamDenied(actor, input.teamId, "Only platform admins can archive teams.");
  }
  return getDb().$transaction(async (tx) => {
    const team = await tx.team.findUnique({ where: { id: input.teamId }, select: teamRefSelect });
    if (!team) throw teamNotFound();
    const wasArchived = team.archivedAt !== null;
    if (wasArchived === input.archived) return team;

    const updated = await tx.team.update({
      where: { id: team.id },
      data: { archivedAt: input.archived ? new Date() : null },
      select: teamRefSelect,
    });
    await recordAudit(
      {
        action: input.archived ? "team.archived" : "team.unarchived",
        actorId: actor.id,
        targetType: "team",
        targetId: team.id,
        teamId: team.id,
        before: { archived: wasArchived },
        after: { archived: input.archived },
      },
      tx,
    );
    return updated;
  });
}
