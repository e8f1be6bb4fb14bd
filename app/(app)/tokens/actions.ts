"use server";

import { revalidatePath } from "next/cache";

import { createApiToken, revokeApiToken } from "@/lib/api-tokens/tokens";
import { formAction } from "@/lib/forms/form-action";
import { createApiTokenFormSchema, revokeApiTokenSchema } from "@/lib/schemas/api-tokens";

// A user's own API tokens: anyone signed in may make and revoke theirs; the
// domain functions keep a token within its owner's reach.

export const createTokenAction = formAction({
  schema: createApiTokenFormSchema,
  lists: ["scopes"],
  async perform(user, input) {
    const created = await createApiToken(user, input);
    revalidatePath("/tokens");
    return { message: `Token ${created.name} created.`, result: { token: created.token } };
  },
});

export const revokeTokenAction = formAction({
  schema: revokeApiTokenSchema,
  async perform(user, input) {
    await revokeApiToken(user, input);
    // Your own tokens, or a service account's on its team's settings.
    revalidatePath("/tokens");
    revalidatePath("/teams/[slug]/settings", "page");
    return "Token revoked; it stops working at its next request.";
  },
});
