import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import { teamNotFound } from "./access";
import { memberInclude, toMemberView, type MemberView } from "./member-view";

const RANK: Record<TeamRole, number> = { OWNER: 0, ADMIN: 1, MEMBER: 2 };

/** A team's members, owners first, then by name or email. */
export async function listMembers(actor: Actor, teamId: string): Promise<MemberView[]> {
  if (!can(actor, "team:view", { teamId })) throw teamNotFound();
  const memberships = await getDb().membership.findMany({ where: { teamId }, include: memberInclude });
  return memberships
    .map(toMemberView)
    .sort((a, b) => RANK[a.role] - RANK[b.role] || (a.name ?? a.email).localeCompare(b.name ?? b.email));
}
