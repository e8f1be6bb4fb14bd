"use server";

import { revalidatePath } from "next/cache";

import { setAiBudget } from "@/lib/ai/budget-settings";
import { setBackupSettings } from "@/lib/backups/team-settings";
import { formAction } from "@/lib/forms/form-action";
import { setTeamPortShareCap } from "@/lib/ports/share-port";
import { createServiceAccountSchema, createServiceAccountTokenSchema, serviceAccountSchema } from "@/lib/schemas/api-tokens";
import { aiBudgetFormSchema } from "@/lib/schemas/ai";
import { backupSettingsSchema } from "@/lib/schemas/backups";
import { portShareCapSchema, SHARE_CAP_LABELS } from "@/lib/schemas/ports";
import { warmPoolSizeSchema } from "@/lib/schemas/warm-pools";
import { createServiceAccount, createServiceAccountToken, removeServiceAccount } from "@/lib/teams/service-accounts";
import { setWarmPoolSize } from "@/lib/workspaces/warm-pool/set-pool-size";

// The team's settings: which team the form is for is only known from its
// fields, so the domain function decides who may (owners and admins).

/** The widest level the team's ports may be shared with; audited, and applied by the port proxy within seconds. */
export const setPortShareCapAction = formAction({
  schema: portShareCapSchema,
  async perform(user, input) {
    await setTeamPortShareCap(user, input);
    revalidatePath("/teams/[slug]/settings", "page");
    return `Saved. The team's ports may be shared at most with: ${SHARE_CAP_LABELS[input.maxShare]}.`;
  },
});

export const createServiceAccountAction = formAction({
  schema: createServiceAccountSchema,
  async perform(user, input) {
    await createServiceAccount(user, input);
    revalidatePath("/teams/[slug]/settings", "page");
    return `Service account ${input.name} created. Make it a token below.`;
  },
});

export const createServiceAccountTokenAction = formAction({
  schema: createServiceAccountTokenSchema,
  lists: ["scopes"],
  async perform(user, input) {
    const created = await createServiceAccountToken(user, input);
    revalidatePath("/teams/[slug]/settings", "page");
    return { message: `Token ${created.name} created.`, result: { token: created.token } };
  },
});

export const removeServiceAccountAction = formAction({
  schema: serviceAccountSchema,
  async perform(user, input) {
    await removeServiceAccount(user, input);
    revalidatePath("/teams/[slug]/settings", "page");
    return "Service account removed; its tokens stopped working.";
  },
});

/** How many workspaces of a template the team keeps warm; the refill loop follows within seconds. */
export const setWarmPoolSizeAction = formAction({
  schema: warmPoolSizeSchema,
  async perform(user, input) {
    await setWarmPoolSize(user, input);
    revalidatePath("/teams/[slug]/settings", "page");
    return input.size === 0 ? "Saved. The pool's workspaces are being deleted." : `Saved. The pool fills up to ${input.size} in the background.`;
  },
});

/** How long deleted workspaces' backups are kept, and how often running ones are backed up; audited. */
export const setBackupSettingsAction = formAction({
  schema: backupSettingsSchema,
  async perform(user, input) {
    await setBackupSettings(user, input);
    revalidatePath("/teams/[slug]/settings", "page");
    const often = input.intervalHours === null ? "when they stop" : `every ${input.intervalHours} h while they run, and when they stop`;
    return `Saved. Workspaces are backed up ${often}; a deleted workspace's backups are kept ${input.retentionDays} days.`;
  },
});

/** The team's AI budgets and model allow-list (its admins, within the platform's ceilings; or the ceilings, by platform admins); audited. */
export const setAiBudgetAction = formAction({
  schema: aiBudgetFormSchema,
  async perform(user, input) {
    const { changed } = await setAiBudget(user, input);
    revalidatePath("/teams/[slug]/settings", "page");
    return changed ? `Saved. The AI ${input.scope === "CEILING" ? "ceilings apply" : "budget applies"} from the next request.` : "Nothing changed.";
  },
});
