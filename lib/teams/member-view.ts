import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { MembershipSource, TeamRole } from "@/lib/generated/prisma/enums";
import type { TeamRef } from "./access";

export interface MemberView {
  membershipId: string;
  userId: string;
  email: string;
  name: string | null;
  role: TeamRole;
  source: MembershipSource;
  deactivated: boolean;
  joinedAt: Date;
}

/** What a membership change did, and to which team (callers revalidate its pages). */
export interface MemberChange {
  team: TeamRef;
  member: MemberView;
}

export const memberInclude = {
  user: { select: { email: true, name: true, deactivatedAt: true } },
} satisfies Prisma.MembershipInclude;

type MembershipWithUser = Prisma.MembershipGetPayload<{ include: typeof memberInclude }>;

export function toMemberView(membership: MembershipWithUser): MemberView {
  return {
    membershipId: membership.id,
    userId: membership.userId,
    email: membership.user.email,
    name: membership.user.name,
    role: membership.role,
    source: membership.source,
    deactivated: membership.user.deactivatedAt !== null,
    joinedAt: membership.createdAt,
  };
}

/** The audit log's picture of a membership, readable after the row is gone. */
export function auditedMember(member: Pick<MemberView, "userId" | "email" | "role" | "source">) {
  return { userId: member.userId, email: member.email, role: member.role, source: member.source };
}

export async function findMember(tx: Prisma.TransactionClient, teamId: string, userId: string): Promise<MemberView> {
  const membership = await tx.membership.findUnique({
    where: { teamId_userId: { teamId, userId } },
    include: memberInclude,
  });
  if (!membership) throw new AppError("not_found", "That person isn't a member of this team.");
  return toMemberView(membership);
}
