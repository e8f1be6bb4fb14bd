import { can, type Actor } from "@/lib/authz";
import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";

export interface TeamRef {
  id: string;
  slug: string;
  name: string;
  archivedAt: Date | null;
}

export const teamRefSelect = { id: true, slug: true, name: true, archivedAt: true } satisfies Prisma.TeamSelect;

export function teamNotFound(): AppError {
  return new AppError("not_found", "Team not found.");
}

/** Refusal for a team action: "not found" unless the actor may see the team at all. */
export function teamDenied(actor: Actor, teamId: string, message: string): AppError {
  return can(actor, "team:view", { teamId }) ? new AppError("forbidden", message) : teamNotFound();
}

/**
 * The team, if the actor may see it, with its row locked until the
 * transaction ends: membership changes to one team run one at a time, so two
 * owners demoting each other can't leave it without an owner.
 */
export async function lockTeamInReach(tx: Prisma.TransactionClient, actor: Actor, teamId: string): Promise<TeamRef> {
  if (!can(actor, "team:view", { teamId })) throw teamNotFound();
  await tx.$queryRaw`SELECT 1 FROM "Team" WHERE "id" = ${teamId} FOR UPDATE`;
  const team = await tx.team.findUnique({ where: { id: teamId }, select: teamRefSelect });
  if (!team) throw teamNotFound();
  return team;
}

/** Throws forbidden unless the actor may make this membership change (see `can`). */
export function assertCanManageMembers(
  actor: Actor,
  change: { teamId: string; currentRole?: TeamRole; newRole?: TeamRole },
): void {
  if (can(actor, "team:manage-members", change)) return;
  throw new AppError(
    "forbidden",
    actor.roles.get(change.teamId) === "ADMIN"
      ? "Only team owners can grant the Owner role or change an owner."
      : "Only team owners and admins can manage members.",
  );
}
