import { z } from "zod";
import { TeamRole } from "@/lib/generated/prisma/enums";
import { cursorParam } from "@/lib/pagination/cursor";
import { emailSchema, flagSchema, idSchema, searchTextSchema } from "./fields";

export const TEAM_ROLES = [TeamRole.OWNER, TeamRole.ADMIN, TeamRole.MEMBER] as const;

export const ROLE_LABELS: Record<TeamRole, string> = { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member" };

export const teamRoleSchema = z.enum(TeamRole, { error: "Choose owner, admin or member." });

// A DNS label, so a slug can name Kubernetes namespaces and hostnames as is.
export const teamSlugSchema = z
  .string({ error: "Enter a slug." })
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, {
    error: "Use up to 40 lowercase letters, digits and hyphens, starting with a letter or digit.",
  });

export const teamNameSchema = z
  .string({ error: "Enter a name." })
  .trim()
  .min(1, { error: "Enter a name." })
  .max(80, { error: "Use at most 80 characters." });

/**
 * A new team's slug: a DNS label whole, so it doesn't end with a hyphen
 * either (Kubernetes refuses such a namespace or label, and every start of
 * the team's workspaces would fail). Existing slugs are looked up by the laxer
 * teamSlugSchema.
 */
const newTeamSlugSchema = teamSlugSchema.regex(/[a-z0-9]$/, { error: "End the slug with a letter or digit." });

export const createTeamSchema = z.object({
  name: teamNameSchema,
  slug: newTeamSlugSchema,
  ownerEmail: emailSchema,
});
export type CreateTeamInput = z.output<typeof createTeamSchema>;

export const setTeamArchivedSchema = z.object({ teamId: idSchema, archived: flagSchema });
export type SetTeamArchivedInput = z.output<typeof setTeamArchivedSchema>;

export const addMemberSchema = z.object({ teamId: idSchema, email: emailSchema, role: teamRoleSchema });
export type AddMemberInput = z.output<typeof addMemberSchema>;

export const changeMemberRoleSchema = z.object({ teamId: idSchema, userId: idSchema, role: teamRoleSchema });
export type ChangeMemberRoleInput = z.output<typeof changeMemberRoleSchema>;

export const removeMemberSchema = z.object({ teamId: idSchema, userId: idSchema });
export type RemoveMemberInput = z.output<typeof removeMemberSchema>;

export const selectTeamSchema = z.object({ slug: teamSlugSchema });

/** A team page's member list: a search by name or email, and the page's cursor (members are listed by role, then email). */
export const memberListQuerySchema = z.object({
  q: searchTextSchema,
  cursor: cursorParam(z.tuple([teamRoleSchema, z.string().max(254)])),
});
export type MemberListQuery = z.output<typeof memberListQuerySchema>;
