import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { RemoveMemberInput } from "@/lib/schemas/teams";
import { assertCanManageMembers, lockTeamInReach } from "./access";
import { assertAnotherOwner } from "./last-owner";
import { auditedMember, findMember, type MemberChange } from "./member-view";

/** Removes a member from a team; `member` is who was removed. */
export async function removeMember(actor: Actor, input: RemoveMemberInput): Promise<MemberChange> {
  return getDb().$transaction(async (tx) => {
    const team = await lockTeamInReach(tx, actor, input.teamId);
    const member = await findMember(tx, team.id, input.userId);
    assertCanManageMembers(actor, { teamId: team.id, currentRole: member.role });
    if (member.role === "OWNER") await assertAnotherOwner(tx, team.id, input.userId);

    await tx.membership.delete({ where: { id: member.membershipId } });
    await recordAudit(
      {
        action: "membership.removed",
        actorId: actor.id,
        targetType: "membership",
        targetId: member.membershipId,
        teamId: team.id,
        before: auditedMember(member),
      },
      tx,
    );
    return { team, member };
  });
}
