import { z } from "zod";
import { cursorParam } from "@/lib/pagination/cursor";
import { flagSchema, idSchema, searchTextSchema } from "./fields";

export const searchUsersSchema = z.object({
  q: searchTextSchema,
  // Users are listed by email, which is unique: the email is the whole sort key.
  cursor: cursorParam(z.tuple([z.string().max(254)])),
});
export type SearchUsersInput = z.output<typeof searchUsersSchema>;

export const setUserDeactivatedSchema = z.object({ userId: idSchema, deactivated: flagSchema });
export type SetUserDeactivatedInput = z.output<typeof setUserDeactivatedSchema>;

export const setPlatformAdminSchema = z.object({ userId: idSchema, isPlatformAdmin: flagSchema });
export type SetPlatformAdminInput = z.output<typeof setPlatformAdminSchema>;

export const setTemplateAdminSchema = z.object({ userId: idSchema, isTemplateAdmin: flagSchema });
export type SetTemplateAdminInput = z.output<typeof setTemplateAdminSchema>;
