import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { QUOTA_FORM_FIELD, type QuotaFormInput } from "@/lib/schemas/quotas";
import { lockTeamInReach, teamDenied, type TeamRef } from "@/lib/teams/access";
import { QUOTA_FIELDS, quotaValues, type QuotaValues } from "./limits";
import { QUOTA_TRANSACTION } from "./enforce";

/**
 * Saves a team's LIMIT (owners and admins, each value within the platform's
 * ceiling) or CEILING (platform admins), audited before → after. Runs under
 * the team's row lock, the one quota checks take, so a start is checked
 * against either the old quota or the new one, never a mix.
 */
export async function setTeamQuota(actor: Actor, input: QuotaFormInput): Promise<{ team: TeamRef; changed: boolean }> {
  const { teamId, scope } = input;
  if (scope === "LIMIT" && !can(actor, "team:manage-quotas", { teamId })) {
    throw teamDenied(actor, teamId, "Only team owners and admins can change the team's quota.");
  }
  if (scope === "CEILING" && !can(actor, "team:set-quota-ceilings")) {
    throw teamDenied(actor, teamId, "Only platform admins can change the ceilings.");
  }

  return getDb().$transaction(async (tx) => {
    const team = await lockTeamInReach(tx, actor, teamId);
    const rows = await tx.teamQuota.findMany({ where: { teamId } });
    const before = quotaValues(rows.find((row) => row.scope === scope));
    const after: QuotaValues = { ...input.values };
    if (scope === "LIMIT") {
      // Stopping at the budget is the platform admins' choice (the ceiling form).
      after.stopAtBudget = before.stopAtBudget;
      assertWithinCeiling(after, quotaValues(rows.find((row) => row.scope === "CEILING")));
    }
    const changed = [...QUOTA_FIELDS, "stopAtBudget" as const].some((field) => before[field] !== after[field]);
    if (!changed) return { team, changed };

    await tx.teamQuota.upsert({
      where: { teamId_scope: { teamId, scope } },
      create: { teamId, scope, ...after },
      update: after,
    });
    await recordAudit(
      {
        action: scope === "LIMIT" ? "quota.limits-changed" : "quota.ceilings-changed",
        actorId: actor.id,
        targetType: "team",
        targetId: teamId,
        teamId,
        before: { ...before },
        after: { ...after },
      },
      tx,
    );
    return { team, changed };
  }, QUOTA_TRANSACTION);
}

function assertWithinCeiling(limit: QuotaValues, ceiling: QuotaValues): void {
  for (const field of QUOTA_FIELDS) {
    const cap = ceiling[field];
    const value = limit[field];
    if (cap !== null && value !== null && value > cap) {
      throw new AppError("invalid", `The platform allows at most ${CEILING_TEXT[field](cap)}.`, QUOTA_FORM_FIELD[field]);
    }
  }
}

const n = (value: number) => String(Math.round(value * 1000) / 1000);

/** A ceiling in the units the form uses. */
const CEILING_TEXT: Record<(typeof QUOTA_FIELDS)[number], (value: number) => string> = {
  maxWorkspaces: (v) => `${n(v)} workspaces`,
  maxRunningWorkspaces: (v) => `${n(v)} running workspaces`,
  cpuMillicores: (v) => `${n(v / 1000)} CPU cores`,
  memoryMiB: (v) => `${n(v / 1024)} GiB of memory`,
  storageGiB: (v) => `${n(v)} GiB of storage`,
  monthlyCpuCoreHours: (v) => `${n(v)} CPU core-hours a month`,
  maxWorkspacesPerMember: (v) => `${n(v)} workspaces per member`,
  maxRunningPerMember: (v) => `${n(v)} running workspaces per member`,
  maxIdleTimeoutMinutes: (v) => `an idle timeout of ${n(v)} minutes`,
  backupGiB: (v) => `${n(v)} GiB of backups`,
};
