"use server";

import { revalidatePath } from "next/cache";

import { formAction } from "@/lib/forms/form-action";
import { setTeamPortShareCap } from "@/lib/ports/share-port";
import { portShareCapSchema, SHARE_CAP_LABELS } from "@/lib/schemas/ports";

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
