import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError, conflictOnUnique } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import type { AddMemberInput } from "@/lib/schemas/teams";
import { findOrCreateUserByEmail } from "@/lib/users/find-or-create-user";
import { assertCanManageMembers, lockTeamInReach } from "./access";
import { auditedMember, memberInclude, toMemberView, type MemberChange, type MemberView } from "./member-view";

/** Adds a person to a team by email; someone who never signed in gets a placeholder user. */
export async function addMember(actor: Actor, input: AddMemberInput): Promise<MemberChange> {
  try {
    return await getDb().$transaction(async (tx) => {
      const team = await lockTeamInReach(tx, actor, input.teamId);
      assertCanManageMembers(actor, { teamId: team.id, newRole: input.role });
      const member = await insertMembership(tx, actor.id, team.id, input.email, input.role);
      return { team, member };
    });
  } catch (error) {
    throw conflictOnUnique(error, new AppError("conflict", "Someone changed this team at the same time. Try again."));
  }
}

/** Creates a manual membership and its audit entry inside the caller's transaction. */
export async function insertMembership(
  tx: Prisma.TransactionClient,
  actorId: string,
  teamId: string,
  email: string,
  role: TeamRole,
): Promise<MemberView> {
  const user = await findOrCreateUserByEmail(tx, actorId, email);
  // A service account is its own team's alone (its tokens, its removal are that team's admins'); its email is easy to guess.
  if (user.isServiceAccount) throw new AppError("invalid", "That is a service account of another team; make this team one of its own on its Settings page.", "email");
  const existing = await tx.membership.findUnique({ where: { teamId_userId: { teamId, userId: user.id } } });
  if (existing) throw new AppError("conflict", `${user.email} is already a member of this team.`, "email");
  const member = toMemberView(
    await tx.membership.create({ data: { teamId, userId: user.id, role, source: "MANUAL" }, include: memberInclude }),
  );
  await recordAudit(
    {
      action: "membership.added",
      actorId,
      targetType: "membership",
      targetId: member.membershipId,
      teamId,
      after: auditedMember(member),
    },
    tx,
  );
  return member;
}
