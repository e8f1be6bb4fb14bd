import { z } from "zod";
import { newestFirstCursor } from "@/lib/pagination/newest-first";
import { idSchema, searchTextSchema } from "./fields";

// A DNS label: the name can appear in hostnames (wildcard IDE mode) as is.
export const workspaceNameSchema = z
  .string({ error: "Enter a name." })
  .trim()
  .regex(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, {
    error: "Use up to 32 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.",
  });

export const gitRepositorySchema = z
  .string()
  .trim()
  .max(500, { error: "That URL is too long." })
  .regex(/^(https:\/\/[^\s'"`$\\]+|git@[\w.-]+:[^\s'"`$\\]+)$/, { error: "Use an https:// or git@host:path repository URL." })
  .optional()
  .or(z.literal("").transform(() => undefined));

export const createWorkspaceSchema = z.object({
  name: workspaceNameSchema,
  teamId: idSchema,
  templateSlug: z.string().trim().min(1, { error: "Choose a template." }),
  gitRepository: gitRepositorySchema,
  /** Checked against the template version's own parameter schema. */
  parameters: z.unknown(),
  /** A backup (of a workspace in the same team) whose files the new workspace's home starts with. */
  restoreFrom: idSchema.optional().or(z.literal("").transform(() => undefined)),
});
export type CreateWorkspaceInput = z.output<typeof createWorkspaceSchema>;

export const workspaceOperationSchema = z.object({
  workspaceId: idSchema,
  operation: z.enum(["start", "stop", "restart", "update", "delete", "delete-without-backup", "retry"]),
  /** Delete (and delete without the final backup that failed) is confirmed by typing the workspace's name. */
  confirmName: z.string().optional(),
});
export type WorkspaceOperationInput = z.output<typeof workspaceOperationSchema>;

/** The workspaces a bulk stop names; its problems are the form's as a whole. */
export const bulkStopSchema = z
  .array(idSchema, { error: "Choose the workspaces to stop." })
  .min(1, { error: "Choose the workspaces to stop." })
  .max(200, { error: "Stop at most 200 workspaces at a time." });

/** A platform admin's request for access to a workspace's terminal and IDE: the reason is shown to its owner. */
export const adminAccessSchema = z.object({
  workspaceId: idSchema,
  reason: z
    .string({ error: "Say why you need access." })
    .trim()
    .min(10, { error: "Say why you need access, in at least 10 characters." })
    .max(500, { error: "Keep the reason to 500 characters." }),
});
export type AdminAccessInput = z.output<typeof adminAccessSchema>;

export const endAccessSchema = z.object({ grantId: idSchema });
export type EndAccessInput = z.output<typeof endAccessSchema>;

/** The workspace list's state filter: "in-progress" is on its way somewhere (starting, stopping, deleting). */
export const WORKSPACE_STATE_FILTERS = ["all", "running", "stopped", "failed", "in-progress"] as const;
export type WorkspaceStateFilter = (typeof WORKSPACE_STATE_FILTERS)[number];

/** The workspace list's query string (/ and /workspaces): which tab, the search, the state filter and the page. */
export const workspaceListQuerySchema = z.object({
  scope: z.literal("team").optional().catch(undefined),
  q: searchTextSchema,
  state: z.enum(WORKSPACE_STATE_FILTERS).catch("all"),
  cursor: newestFirstCursor,
});
