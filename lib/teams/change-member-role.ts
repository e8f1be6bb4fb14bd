import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { ChangeMemberRoleInput } from "@/lib/schemas/teams";
import { assertCanManageMembers, lockTeamInReach } from "./access";
import { assertAnotherOwner } from "./last-owner";
import { auditedMember, findMember, memberInclude, toMemberView, type MemberChange } from "./member-view";

/**
 * Gives a member another role. The membership becomes MANUAL: a role set by
 * hand is not overwritten by the next group sync.
 */
export async function changeMemberRole(actor: Actor, input: ChangeMemberRoleInput): Promise<MemberChange> {
  return getDb().$transaction(async (tx) => {
    const team = await lockTeamInReach(tx, actor, input.teamId);
    const before = await findMember(tx, team.id, input.userId);
    assertCanManageMembers(actor, { teamId: team.id, currentRole: before.role, newRole: input.role });
    if (before.role === input.role) return { team, member: before };
    if (before.role === "OWNER") await assertAnotherOwner(tx, team.id, input.userId);

    const member = toMemberView(
      await tx.membership.update({
        where: { id: before.membershipId },
        data: { role: input.role, source: "MANUAL" },
        include: memberInclude,
      }),
    );
    await recordAudit(
      {
        action: "membership.role-changed",
        actorId: actor.id,
        targetType: "membership",
        targetId: member.membershipId,
        teamId: team.id,
        before: auditedMember(before),
        after: auditedMember(member),
      },
      tx,
    );
    return { team, member };
  });
}
