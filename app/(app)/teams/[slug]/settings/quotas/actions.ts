"use server";

import { revalidatePath } from "next/cache";

import { formAction } from "@/lib/forms/form-action";
import { setTeamQuota } from "@/lib/quotas/set-quota";
import { syncTeamSpace } from "@/lib/quotas/team-space";
import { getRuntime } from "@/lib/runtime/runtime";
import { quotaFormSchema } from "@/lib/schemas/quotas";

// Owners and admins set their team's limits, platform admins its ceilings:
// which one the form is for is only known from its fields, so setTeamQuota decides.
export const saveQuotaAction = formAction({
  schema: quotaFormSchema,
  async perform(user, input) {
    const { team, changed } = await setTeamQuota(user, input);
    if (!changed) return "Nothing changed.";
    // The saved quota already binds every start; the runtime's own copy
    // (the namespace's ResourceQuota) follows now, or at the next start if the runtime is unreachable.
    // Not awaited: the form answers at once, and the reconciler syncs again before every start.
    void getRuntime()
      .then((runtime) => syncTeamSpace(runtime, team))
      .catch((error: unknown) => console.error(`podspace: syncing team ${team.slug}'s quota to the runtime failed`, error));
    revalidatePath(`/teams/${team.slug}/settings/quotas`);
    return input.scope === "LIMIT" ? `Saved ${team.name}'s limits.` : `Saved the platform's ceilings for ${team.name}.`;
  },
});
