import { z } from "zod";
import type { QuotaField, QuotaValues } from "@/lib/quotas/limits";
import { idSchema } from "./fields";

// The quota forms: every limit is optional (empty means "no limit") and is
// entered in the units people think in (cores, GiB); the schema turns them
// into the database's (millicores, MiB).

/** Upper bounds that catch typos (an extra zero or three), not policy. */
const MAX = { count: 10_000, cores: 10_000, gib: 1_000_000, coreHours: 10_000_000, minutes: 525_600 } as const;

function limit(what: string, max: number, { whole = true, min = 0 } = {}) {
  let number = z
    .number({ error: `Enter a number of ${what}, or leave it empty for no limit.` })
    .min(min, { error: `Enter ${min} or more ${what}.` })
    .max(max, { error: `Enter at most ${max.toLocaleString("en")} ${what}.` });
  if (whole) number = number.int({ error: `Enter a whole number of ${what}.` });
  return z
    .string()
    .trim()
    .optional()
    // Number("12x") is NaN, which the number schema refuses with the message above.
    .transform((value) => (value ? Number(value) : null))
    .pipe(number.nullable());
}

/** The form's field for each quota column. */
export const QUOTA_FORM_FIELD = {
  maxWorkspaces: "maxWorkspaces",
  maxRunningWorkspaces: "maxRunningWorkspaces",
  cpuMillicores: "cpuCores",
  memoryMiB: "memoryGiB",
  storageGiB: "storageGiB",
  monthlyCpuCoreHours: "monthlyCpuCoreHours",
  maxWorkspacesPerMember: "maxWorkspacesPerMember",
  maxRunningPerMember: "maxRunningPerMember",
  maxIdleTimeoutMinutes: "maxIdleTimeoutMinutes",
  backupGiB: "backupGiB",
} as const satisfies Record<QuotaField, string>;

/** A quota column's value in the units the forms (and the API) use, cores and GiB, from the database's millicores and MiB. */
export function inFormUnits(field: QuotaField, value: number): number {
  if (field === "cpuMillicores") return value / 1000;
  if (field === "memoryMiB") return value / 1024;
  return value;
}

export const quotaFormSchema = z
  .object({
    teamId: idSchema,
    scope: z.enum(["LIMIT", "CEILING"], { error: "Choose the team's limits or the platform's ceilings." }),
    maxWorkspaces: limit("workspaces", MAX.count),
    maxRunningWorkspaces: limit("running workspaces", MAX.count),
    cpuCores: limit("CPU cores", MAX.cores, { whole: false }),
    memoryGiB: limit("GiB of memory", MAX.gib, { whole: false }),
    storageGiB: limit("GiB of storage", MAX.gib),
    monthlyCpuCoreHours: limit("CPU core-hours", MAX.coreHours),
    maxWorkspacesPerMember: limit("workspaces per member", MAX.count),
    maxRunningPerMember: limit("running workspaces per member", MAX.count),
    maxIdleTimeoutMinutes: limit("minutes", MAX.minutes, { min: 1 }),
    backupGiB: limit("GiB of backups", MAX.gib),
    // A checkbox: present ("on") when ticked, absent otherwise.
    stopAtBudget: z
      .string()
      .optional()
      .transform((value) => value === "on" || value === "true"),
  })
  .transform(({ teamId, scope, cpuCores, memoryGiB, ...rest }) => {
    const values: QuotaValues = {
      ...rest,
      cpuMillicores: cpuCores === null ? null : Math.round(cpuCores * 1000),
      memoryMiB: memoryGiB === null ? null : Math.round(memoryGiB * 1024),
    };
    return { teamId, scope, values };
  });
export type QuotaFormInput = z.output<typeof quotaFormSchema>;
