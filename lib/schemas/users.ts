import { z } from "zod";
import { flagSchema, idSchema } from "./fields";

// A search box never errors: anything unusable searches for everything.
export const searchUsersSchema = z.object({
  q: z
    .string()
    .trim()
    .transform((q) => q.slice(0, 200))
    .catch(""),
});
export type SearchUsersInput = z.output<typeof searchUsersSchema>;

export const setUserDeactivatedSchema = z.object({ userId: idSchema, deactivated: flagSchema });
export type SetUserDeactivatedInput = z.output<typeof setUserDeactivatedSchema>;

export const setPlatformAdminSchema = z.object({ userId: idSchema, isPlatformAdmin: flagSchema });
export type SetPlatformAdminInput = z.output<typeof setPlatformAdminSchema>;
