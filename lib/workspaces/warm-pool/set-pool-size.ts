import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { warmPoolSizeSchema, type WarmPoolSizeInput } from "@/lib/schemas/warm-pools";
import { lockTeamInReach, teamDenied } from "@/lib/teams/access";
import { requestPoolRefill } from "./refill-trigger";

// A team's owners and admins size its warm pool for a template; the refill
// loop (refill-loop.ts) then brings the pool to that size. The pool's members
// belong to the team's pool account: a service account that is a member of
// no team, so it never signs in, acts or shows among the team's people, and
// its workspaces count against the team's quota (which sums by team) and no
// member's own.

/** Reserved: no identity provider issues it, and service accounts' own domain (lib/teams/service-accounts.ts) stays theirs. */
const POOL_ACCOUNT_DOMAIN = "warm-pools.podspace.invalid";

async function poolAccount(tx: Prisma.TransactionClient, team: { id: string; name: string }): Promise<string> {
  const email = `${team.id}@${POOL_ACCOUNT_DOMAIN}`;
  const account = await tx.user.upsert({
    where: { email },
    create: { email, name: `${team.name} warm pool`, isServiceAccount: true },
    update: {},
    select: { id: true },
  });
  return account.id;
}

/** Sets how many workspaces of the template the team keeps warm (0: none, and its members are deleted); audited. */
export async function setWarmPoolSize(actor: Actor, input: WarmPoolSizeInput): Promise<{ changed: boolean }> {
  const { teamId, templateId, size } = warmPoolSizeSchema.parse(input);
  if (!can(actor, "team:manage-quotas", { teamId })) throw teamDenied(actor, teamId, "Only team owners and admins size the team's warm pools.");
  const result = await getDb().$transaction(async (tx) => {
    const team = await lockTeamInReach(tx, actor, teamId);
    const template = await tx.template.findUnique({ where: { id: templateId }, select: { slug: true, archivedAt: true } });
    if (!template || template.archivedAt) throw new AppError("not_found", "That template doesn't exist or was archived.", "templateId");
    const before = await tx.warmPool.findUnique({ where: { teamId_templateId: { teamId, templateId } }, select: { size: true } });
    if ((before?.size ?? 0) === size) return { changed: false };
    const ownerId = await poolAccount(tx, team);
    await tx.warmPool.upsert({
      where: { teamId_templateId: { teamId, templateId } },
      create: { teamId, templateId, size, ownerId },
      update: { size },
    });
    await recordAudit(
      {
        action: "warm-pool.resized",
        actorId: actor.id,
        targetType: "team",
        targetId: teamId,
        teamId,
        before: { template: template.slug, size: before?.size ?? 0 },
        after: { template: template.slug, size },
      },
      tx,
    );
    return { changed: true };
  });
  if (result.changed) requestPoolRefill();
  return result;
}
