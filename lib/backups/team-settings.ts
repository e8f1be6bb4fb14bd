import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { BackupSettingsInput } from "@/lib/schemas/backups";
import { lockTeamInReach, teamDenied } from "@/lib/teams/access";

// A team's backup settings, set by its owners and admins: the retention of
// deleted workspaces' backups (the retention pass applies it) and the
// interval between backups of running workspaces (the backup loop's).

export async function setBackupSettings(actor: Actor, { teamId, retentionDays, intervalHours }: BackupSettingsInput): Promise<void> {
  if (!can(actor, "team:manage-quotas", { teamId })) throw teamDenied(actor, teamId, "Only team owners and admins change how the team's workspaces are backed up.");
  await getDb().$transaction(async (tx) => {
    await lockTeamInReach(tx, actor, teamId);
    const before = await tx.team.findUniqueOrThrow({ where: { id: teamId }, select: { backupRetentionDays: true, backupIntervalHours: true } });
    if (before.backupRetentionDays === retentionDays && before.backupIntervalHours === intervalHours) return;
    await tx.team.update({ where: { id: teamId }, data: { backupRetentionDays: retentionDays, backupIntervalHours: intervalHours } });
    await recordAudit(
      {
        action: "team.backup-settings-changed",
        actorId: actor.id,
        targetType: "team",
        targetId: teamId,
        teamId,
        before: { retentionDays: before.backupRetentionDays, intervalHours: before.backupIntervalHours },
        after: { retentionDays, intervalHours },
      },
      tx,
    );
  });
}

/** The team's backup settings, for those who may see the team. */
export async function getBackupSettings(actor: Actor, teamId: string): Promise<{ retentionDays: number; intervalHours: number | null } | null> {
  if (!can(actor, "team:view", { teamId })) return null;
  const team = await getDb().team.findUnique({ where: { id: teamId }, select: { backupRetentionDays: true, backupIntervalHours: true } });
  return team && { retentionDays: team.backupRetentionDays, intervalHours: team.backupIntervalHours };
}
