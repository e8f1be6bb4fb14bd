import { z } from "zod";
import { idSchema } from "./fields";

// The forms and queries around workspace backups (lib/backups).

export const MAX_RETENTION_DAYS = 3650;
export const MAX_BACKUP_INTERVAL_HOURS = 168;

const retention = { error: `Enter a whole number of days from 1 to ${MAX_RETENTION_DAYS}.` };
const interval = { error: `Enter a whole number of hours from 1 to ${MAX_BACKUP_INTERVAL_HOURS}, or leave it empty.` };

/** A team's backup settings: how long a deleted workspace's backups are kept, and how often a running one is backed up (empty: only when it stops). */
export const backupSettingsSchema = z.object({
  teamId: idSchema,
  retentionDays: z.coerce.number(retention).int(retention).min(1, retention).max(MAX_RETENTION_DAYS, retention),
  intervalHours: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? Number(value) : null))
    .pipe(z.number(interval).int(interval).min(1, interval).max(MAX_BACKUP_INTERVAL_HOURS, interval).nullable()),
});
export type BackupSettingsInput = z.output<typeof backupSettingsSchema>;

/** "Back up now" on a workspace's page. */
export const requestBackupSchema = z.object({ workspaceId: idSchema });
