import type { QuotaField, QuotaValues } from "@/lib/quotas/limits";
import { inFormUnits, QUOTA_FORM_FIELD } from "@/lib/schemas/quotas";

// How each quota column is shown and entered: label, the form's units, and
// how its usage is counted (the settings page explains every number).

export interface QuotaFieldInfo {
  field: QuotaField;
  /** The form input's name (lib/schemas/quotas.ts). */
  name: string;
  label: string;
  unit: string;
  /** Database units → the form's units. */
  toForm: (value: number) => number;
  step: string;
  /** How the "in use" number is derived. */
  derivation: string;
}

const FIELDS: ReadonlyArray<Omit<QuotaFieldInfo, "name" | "toForm">> = [
  {
    field: "maxWorkspaces",
    label: "Workspaces",
    unit: "",
    step: "1",
    derivation: "Every workspace of the team that isn't deleted, running or stopped.",
  },
  {
    field: "maxRunningWorkspaces",
    label: "Running workspaces",
    unit: "",
    step: "1",
    derivation: "Workspaces that run, are starting, or were asked to start.",
  },
  {
    field: "cpuMillicores",
    label: "CPU",
    unit: "cores",
    step: "0.1",
    derivation: "The CPU cores of the running workspaces, as chosen when each was created.",
  },
  {
    field: "memoryMiB",
    label: "Memory",
    unit: "GiB",
    step: "0.5",
    derivation: "The memory of the running workspaces.",
  },
  {
    field: "storageGiB",
    label: "Storage",
    unit: "GiB",
    step: "1",
    derivation: "The home disks of all workspaces that aren't deleted; a stopped workspace keeps its disk.",
  },
  {
    field: "monthlyCpuCoreHours",
    label: "Monthly CPU budget",
    unit: "core-hours",
    step: "1",
    derivation:
      "CPU cores × hours running since the 1st of this month (UTC), from the usage meter; a running workspace adds to it every minute. At 80 % the team is warned; at 100 % nothing new starts.",
  },
  {
    field: "maxWorkspacesPerMember",
    label: "Workspaces per member",
    unit: "",
    step: "1",
    derivation: "The most workspaces any one member owns in this team.",
  },
  {
    field: "maxRunningPerMember",
    label: "Running workspaces per member",
    unit: "",
    step: "1",
    derivation: "The most running workspaces any one member has in this team.",
  },
  {
    field: "maxIdleTimeoutMinutes",
    label: "Longest idle timeout",
    unit: "minutes",
    step: "1",
    derivation: "Caps every template's idle timeout: a workspace without activity for this long is stopped.",
  },
  {
    field: "backupGiB",
    label: "Backups",
    unit: "GiB",
    step: "1",
    derivation: "The team's backup repository, after deduplication, as measured daily. Over it, no new backup is taken.",
  },
];

export const QUOTA_FIELD_INFO: readonly QuotaFieldInfo[] = FIELDS.map((info) => ({
  ...info,
  name: QUOTA_FORM_FIELD[info.field],
  toForm: (value) => inFormUnits(info.field, value),
}));

/** A value in the form's units, "" for no limit. */
export function formValue(info: QuotaFieldInfo, values: QuotaValues): string {
  const value = values[info.field];
  return value === null ? "" : String(Math.round(info.toForm(value) * 1000) / 1000);
}

/** "8 cores", "no limit". */
export function describeLimit(info: QuotaFieldInfo, value: number | null): string {
  if (value === null) return "no limit";
  const amount = Math.round(info.toForm(value) * 1000) / 1000;
  // "1 core", not "1 cores"; units that aren't counted things ("GiB") stay as they are.
  const unit = amount === 1 && info.unit === "cores" ? "core" : info.unit;
  return unit ? `${amount} ${unit}` : String(amount);
}
