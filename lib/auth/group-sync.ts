import { recordAudit } from "@/lib/audit";
import { getDb } from "@/lib/db/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";

export interface GroupMappingRule {
  group: string;
  team: string;
  role: TeamRole;
}

const RANK: Record<TeamRole, number> = { MEMBER: 1, ADMIN: 2, OWNER: 3 };

/** team slug → role the IdP groups grant; the highest role wins when several groups map to one team. */
export function rolesFromGroups(groups: string[], rules: readonly GroupMappingRule[], filter: RegExp): Map<string, TeamRole> {
  const roles = new Map<string, TeamRole>();
  for (const group of groups.filter((g) => filter.test(g))) {
    for (const rule of rules.filter((r) => r.group === group)) {
      const current = roles.get(rule.team);
      if (!current || RANK[rule.role] > RANK[current]) roles.set(rule.team, rule.role);
    }
  }
  return roles;
}

/**
 * Makes the user's group-synced memberships match what their IdP groups map
 * to: adds missing ones (creating the team if it doesn't exist yet), changes
 * roles, and removes those no longer granted. Memberships added by hand are
 * left alone. Runs in one transaction, audited as a system change.
 */
export async function syncGroupMemberships(userId: string, granted: Map<string, TeamRole>): Promise<void> {
  await getDb().$transaction(async (tx) => {
    const existing = await tx.membership.findMany({ where: { userId }, include: { team: { select: { slug: true } } } });
    const bySlug = new Map(existing.map((membership) => [membership.team.slug, membership]));

    for (const [slug, role] of granted) {
      const membership = bySlug.get(slug);
      if (membership?.source === "MANUAL") continue;
      if (membership) {
        if (membership.role === role) continue;
        await tx.membership.update({ where: { id: membership.id }, data: { role } });
        await recordAudit(
          { action: "membership.role-changed", actorId: null, targetType: "membership", targetId: membership.id, teamId: membership.teamId, before: { userId, role: membership.role }, after: { userId, role, source: "GROUP_SYNC" } },
          tx,
        );
        continue;
      }
      const team = await tx.team.upsert({ where: { slug }, create: { slug, name: slug }, update: {} });
      const created = await tx.membership.create({ data: { teamId: team.id, userId, role, source: "GROUP_SYNC" } });
      await recordAudit(
        { action: "membership.added", actorId: null, targetType: "membership", targetId: created.id, teamId: team.id, after: { userId, role, source: "GROUP_SYNC" } },
        tx,
      );
    }

    for (const membership of existing) {
      if (membership.source !== "GROUP_SYNC" || granted.has(membership.team.slug)) continue;
      await tx.membership.delete({ where: { id: membership.id } });
      await recordAudit(
        { action: "membership.removed", actorId: null, targetType: "membership", targetId: membership.id, teamId: membership.teamId, before: { userId, role: membership.role, source: "GROUP_SYNC" } },
        tx,
      );
    }
  });
}
