import { z } from "zod";
import { API_SCOPES } from "@/lib/api-tokens/scopes";
import { idSchema } from "./fields";

export const apiTokenNameSchema = z
  .string({ error: "Enter a name." })
  .trim()
  .min(1, { error: "Enter a name." })
  .max(64, { error: "Keep the name to 64 characters." });

export const apiTokenScopesSchema = z
  .array(z.enum(API_SCOPES, { error: `Scopes are ${API_SCOPES.join(", ")}.` }), { error: "Choose at least one scope." })
  .min(1, { error: "Choose at least one scope." })
  .transform((scopes) => [...new Set(scopes)]);

/** A token's lifetime in whole days; `coerce` for a form's string. */
export const apiTokenDaysSchema = (coerce: boolean) =>
  (coerce ? z.coerce.number({ error: "Choose how long the token lives." }) : z.number({ error: "Give how many days the token lives, as a number." }))
    .int({ error: "A token lives a whole number of days." })
    .min(1, { error: "A token lives at least a day." });

/** A new token: `days` is checked against PODSPACE_API_TOKEN_MAX_DAYS where the token is made. */
export const createApiTokenSchema = z.object({
  name: apiTokenNameSchema,
  days: apiTokenDaysSchema(true),
  scopes: apiTokenScopesSchema,
  /** Only this team's workspaces and quotas. */
  teamId: idSchema.optional(),
  /** Only these workspaces. */
  workspaceIds: z.array(idSchema).max(100, { error: "Bind a token to at most 100 workspaces." }).default([]),
});
export type CreateApiTokenInput = z.input<typeof createApiTokenSchema>;

export const revokeApiTokenSchema = z.object({ tokenId: idSchema });

/** The Tokens page's form: "any team" is an empty choice. */
export const createApiTokenFormSchema = createApiTokenSchema.extend({
  teamId: idSchema.optional().or(z.literal("").transform(() => undefined)),
});

/** A service account's name: a short label, also the first part of its (never used) email address. */
export const serviceAccountNameSchema = z
  .string({ error: "Enter a name." })
  .trim()
  .regex(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, { error: "Use up to 32 lowercase letters, digits and hyphens, starting with a letter." });

export const createServiceAccountSchema = z.object({ teamId: idSchema, name: serviceAccountNameSchema });

export const serviceAccountSchema = z.object({ serviceAccountId: idSchema });

/** A service account's new token, from its team's settings: bound to the team, with the scopes a robot may have. */
export const createServiceAccountTokenSchema = createApiTokenSchema
  .omit({ teamId: true, workspaceIds: true })
  .extend({ serviceAccountId: idSchema });
