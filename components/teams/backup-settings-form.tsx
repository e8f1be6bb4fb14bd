"use client";

import * as React from "react";

import { setBackupSettingsAction } from "@/app/(app)/teams/[slug]/settings/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { MAX_BACKUP_INTERVAL_HOURS, MAX_RETENTION_DAYS } from "@/lib/schemas/backups";

type BackupSettingsFormProps = {
  teamId: string;
  retentionDays: number;
  intervalHours: number | null;
};

/** A team admin's backup settings: how long deleted workspaces' backups are kept, and how often running ones are backed up. */
function BackupSettingsForm({ teamId, retentionDays, intervalHours }: BackupSettingsFormProps) {
  const [state, formAction, pending] = useFormAction(setBackupSettingsAction);
  const id = React.useId();
  const errors = state.fieldErrors;
  // Remount on newly saved values so the fields show them.
  const saved = `${retentionDays}-${intervalHours}`;

  return (
    <form action={formAction} className="flex flex-col gap-4" noValidate aria-label="Backup settings">
      <HiddenFields fields={{ teamId }} />
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField
          id={`${id}-retention`}
          name="retentionDays"
          label="Keep deleted workspaces' backups (days)"
          hint={`1 to ${MAX_RETENTION_DAYS}, from the deletion. The backups of workspaces that aren't deleted are all kept.`}
          errors={errors?.retentionDays}
        >
          {(control) => (
            <Input {...control} key={saved} type="number" min={1} max={MAX_RETENTION_DAYS} required defaultValue={state.status === "error" ? state.values?.retentionDays : String(retentionDays)} />
          )}
        </FormField>
        <FormField
          id={`${id}-interval`}
          name="intervalHours"
          label="Back up running workspaces every (hours)"
          hint={`1 to ${MAX_BACKUP_INTERVAL_HOURS}; empty: only when they stop, and before they are deleted.`}
          errors={errors?.intervalHours}
        >
          {(control) => (
            <Input
              {...control}
              key={saved}
              type="number"
              min={1}
              max={MAX_BACKUP_INTERVAL_HOURS}
              placeholder="Only when stopped"
              defaultValue={state.status === "error" ? state.values?.intervalHours : (intervalHours?.toString() ?? "")}
            />
          )}
        </FormField>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Save"}
        </Button>
        {state.status === "error" && !errors?.retentionDays && !errors?.intervalHours ? <FormMessage state={state} /> : null}
      </div>
    </form>
  );
}

export { BackupSettingsForm };
