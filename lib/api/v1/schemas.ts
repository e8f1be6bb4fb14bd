import { z } from "zod";
import { API_SCOPES } from "@/lib/api-tokens/scopes";
import type { ApiTokenView } from "@/lib/api-tokens/tokens";
import { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import type { WorkspaceListItem } from "@/lib/workspaces/list-workspaces";
import { gitRepositorySchema, workspaceNameSchema, WORKSPACE_STATE_FILTERS } from "@/lib/schemas/workspaces";
import { apiTokenDaysSchema, apiTokenNameSchema, apiTokenScopesSchema } from "@/lib/schemas/api-tokens";
import type { TemplateCard } from "@/lib/templates/catalog";
import type { BackupView } from "@/lib/backups/queries";
import { BackupReason, BackupStatus } from "@/lib/generated/prisma/enums";
import { BUDGET_WARNING_FRACTION } from "@/lib/quotas/budget";
import { QUOTA_FIELDS } from "@/lib/quotas/limits";
import type { QuotaOverview } from "@/lib/quotas/overview";
import { inFormUnits, QUOTA_FORM_FIELD } from "@/lib/schemas/quotas";
import type { TeamRef } from "@/lib/teams/access";
import { dayString, lastDay, usageQuerySchema, type Period } from "@/lib/usage/period";
import { OTHER, type UsageReport } from "@/lib/usage/report";

// The shapes /api/v1 takes and gives, as zod schemas: the routes parse
// requests and build responses with them, and openapi.ts describes the API
// from the same schemas, so the document can't drift from what is served.

/** The schemas the OpenAPI document lists under components, each by its id. */
export const apiSchemas = z.registry<{ id: string }>();

const isoDate = z.iso.datetime().describe("ISO 8601, UTC");
const parameterValue = z.union([z.string(), z.number(), z.boolean()]);

export const apiResources = z.object({ cpu: z.number(), memoryGiB: z.number(), diskGiB: z.number() });

export const apiWorkspace = z
  .object({
    id: z.string(),
    name: z.string(),
    state: z.enum(WorkspaceState),
    desiredState: z.enum(DesiredState),
    stateReason: z.string().nullable().describe("Why it failed (quota, image, oom, crashed, …); null unless FAILED"),
    createdAt: isoDate,
    startedAt: isoDate.nullable(),
    lastActivityAt: isoDate.nullable(),
    gitRepository: z.string().nullable(),
    resources: apiResources,
    owner: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }),
    team: z.object({ id: z.string(), slug: z.string() }),
    template: z.object({ slug: z.string(), name: z.string(), version: z.number().int(), latestVersion: z.number().int() }),
  })
  .register(apiSchemas, { id: "Workspace" });
export type ApiWorkspace = z.infer<typeof apiWorkspace>;

export function toApiWorkspace(item: WorkspaceListItem): ApiWorkspace {
  return {
    id: item.id,
    name: item.name,
    state: item.state,
    desiredState: item.desiredState,
    stateReason: item.stateReason,
    createdAt: item.createdAt.toISOString(),
    startedAt: item.startedAt?.toISOString() ?? null,
    lastActivityAt: item.lastActivityAt?.toISOString() ?? null,
    gitRepository: item.gitRepository,
    resources: item.resources,
    owner: { id: item.owner.id, email: item.owner.email, name: item.owner.name },
    team: { id: item.team.id, slug: item.team.slug },
    template: { slug: item.template.slug, name: item.template.name, version: item.template.version, latestVersion: item.template.latestVersion },
  };
}

export const apiWorkspacePage = z
  .object({
    workspaces: z.array(apiWorkspace),
    total: z.number().int(),
    nextCursor: z.string().nullable().describe("Pass as ?cursor= for the next (older) page; null on the last"),
  })
  .register(apiSchemas, { id: "WorkspacePage" });

export const listWorkspacesQuery = z.object({
  scope: z.enum(["mine", "team"]).default("mine").describe("mine: your own; team: everyone's in the teams you look after"),
  team: z.string().optional().describe("A team's slug: only its workspaces"),
  q: z.string().max(200).optional().describe("Name or template contains"),
  // Any case: a workspace's own state reads STOPPED, so ?state=STOPPED is what people type.
  state: z
    .string()
    .toLowerCase()
    .pipe(z.enum(WORKSPACE_STATE_FILTERS))
    .default("all")
    .meta({ enum: [...WORKSPACE_STATE_FILTERS], description: "Which states, in any case (in-progress: starting, stopping or being deleted)" }),
  cursor: z.string().optional(),
});

/**
 * A workspace's resources and template parameters. Loose: a key the template
 * doesn't take reaches the workspace code, which names it in its error,
 * instead of vanishing here.
 */
const parametersBody = z.looseObject({
  cpu: z.number().optional(),
  memoryGiB: z.number().optional(),
  diskGiB: z.number().optional(),
  values: z.record(z.string(), parameterValue).optional(),
});

export const createWorkspaceBody = z
  .object({
    name: workspaceNameSchema,
    template: z.string().trim().min(1, { error: "Name a template (its slug)." }).describe("The template's slug"),
    team: z.string().optional().describe("The team's slug; may be left out by members of one team"),
    gitRepository: gitRepositorySchema,
    parameters: parametersBody
      .optional()
      .describe("Resources and template parameters; the template's defaults fill in what is left out"),
    restoreFrom: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("A succeeded backup's id (of a workspace of the same team you may read backups of): the new workspace's home starts as its copy"),
  })
  .register(apiSchemas, { id: "CreateWorkspace" });

export const changeSettingsBody = z
  .object({
    parameters: parametersBody,
  })
  .register(apiSchemas, { id: "ChangeSettings" });

export const settingsResult = z.object({ changed: z.array(z.string()), restarts: z.boolean() }).register(apiSchemas, { id: "SettingsChange" });

export const WORKSPACE_OPERATIONS = ["start", "stop", "restart", "update", "retry"] as const;

export const deleteWorkspaceQuery = z.object({
  finalBackup: z
    .enum(["take", "skip"])
    .default("take")
    .describe(
      "skip: delete without a final backup; only for a workspace being deleted whose final backup failed (its page says why), and audited. Its home is gone for good.",
    ),
});

export const apiTemplate = z
  .object({
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    latestVersion: z.number().int(),
    archived: z.boolean(),
  })
  .register(apiSchemas, { id: "Template" });

export const templateList = z.object({ templates: z.array(apiTemplate) }).register(apiSchemas, { id: "TemplateList" });

export function toApiTemplate(card: TemplateCard): z.infer<typeof apiTemplate> {
  return {
    slug: card.slug,
    name: card.name,
    description: card.description,
    tags: card.tags,
    latestVersion: card.latestVersion,
    archived: card.archivedAt !== null,
  };
}

export const apiToken = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe("The token's first characters"),
    scopes: z.array(z.enum(API_SCOPES)),
    team: z.object({ id: z.string(), slug: z.string() }).nullable(),
    workspaceIds: z.array(z.string()),
    createdAt: isoDate,
    expiresAt: isoDate,
    lastUsedAt: isoDate.nullable(),
  })
  .register(apiSchemas, { id: "Token" });

export function toApiToken(view: ApiTokenView): z.infer<typeof apiToken> {
  return {
    ...view,
    createdAt: view.createdAt.toISOString(),
    expiresAt: view.expiresAt.toISOString(),
    lastUsedAt: view.lastUsedAt?.toISOString() ?? null,
  };
}

export const tokenList = z.object({ tokens: z.array(apiToken) }).register(apiSchemas, { id: "TokenList" });

export const createdToken = apiToken.extend({ token: z.string().describe("The secret: shown this once") }).register(apiSchemas, { id: "CreatedToken" });

export const createTokenBody = z
  .object({
    name: apiTokenNameSchema,
    days: apiTokenDaysSchema(false),
    scopes: apiTokenScopesSchema,
    team: z.string().optional().describe("Bind it to this team (slug)"),
    workspaceIds: z.array(z.string()).optional().describe("Bind it to these workspaces"),
  })
  .register(apiSchemas, { id: "CreateToken" });

/** Arguments, directories and environment values go to exec(2) as C strings: no NUL in them. */
const execString = z.string().regex(/^[^\0]*$/, { error: "must not contain NUL characters" });

export const execRequest = z
  .object({
    command: z.array(execString).min(1).max(1000).describe("argv, run as is: name a shell (sh -c '…') for pipes and globs"),
    cwd: execString.max(4096).optional().describe("Where it runs, relative to the home directory; default the home directory"),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "must be a variable name (letters, digits and _)" }), execString)
      .optional()
      .describe("Added to the workspace's environment"),
    stdin: z.string().optional().describe("All of its standard input (UTF-8); without it, its input is empty"),
    timeoutSeconds: z.number().int().min(1).max(3600).default(60).describe("After this long it is killed, with everything it started"),
  })
  .register(apiSchemas, { id: "ExecRequest" });
export type ExecRequest = z.output<typeof execRequest>;

export const execResult = z
  .object({
    exitCode: z.number().int().nullable().describe("Null when it was killed (timed out) or the workspace went away"),
    stdout: z.string(),
    stderr: z.string(),
    timedOut: z.boolean(),
    truncated: z.boolean().describe("Whether stdout or stderr was cut at 1 MiB (the command still ran to its end)"),
  })
  .register(apiSchemas, { id: "ExecResult" });

/** The WebSocket's first message: an exec request, whose stdin may stay open for frames of input. */
export const execSocketStart = execRequest
  .extend({
    stdinOpen: z.boolean().default(false).describe('Keep stdin open after `stdin` for {"type":"stdin","data":"…"} messages, until {"type":"eof"}'),
  })
  .register(apiSchemas, { id: "ExecSocketStart" });

export const filesQuery = z.object({
  path: execString.min(1).max(4096).describe("A file or directory, relative to the home directory (absolute paths too)"),
});

export const apiBackup = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    reason: z.enum(BackupReason).describe("STOP: taken when it stopped; SCHEDULE: the team's interval; DELETE: before it was deleted; MANUAL: asked for"),
    status: z.enum(BackupStatus),
    snapshotId: z.string().nullable().describe("restic's snapshot id, once it succeeded"),
    files: z.number().int().nullable(),
    bytes: z.number().int().nullable().describe("What the snapshot holds"),
    bytesAdded: z.number().int().nullable().describe("What it added to the team's repository, after deduplication"),
    error: z.string().nullable().describe("Why it failed, or a warning for a snapshot some files were left out of"),
    createdAt: isoDate,
    startedAt: isoDate.nullable(),
    finishedAt: isoDate.nullable(),
    expiredAt: isoDate.nullable().describe("When the retention pass removed its snapshot"),
  })
  .register(apiSchemas, { id: "Backup" });

export function toApiBackup(view: BackupView): z.infer<typeof apiBackup> {
  return {
    id: view.id,
    workspaceId: view.workspaceId,
    reason: view.reason,
    status: view.status,
    snapshotId: view.snapshotId,
    files: view.files,
    bytes: view.bytes,
    bytesAdded: view.bytesAdded,
    error: view.error,
    createdAt: view.createdAt.toISOString(),
    startedAt: view.startedAt?.toISOString() ?? null,
    finishedAt: view.finishedAt?.toISOString() ?? null,
    expiredAt: view.expiredAt?.toISOString() ?? null,
  };
}

export const backupList = z.object({ backups: z.array(apiBackup).describe("Newest first") }).register(apiSchemas, { id: "BackupList" });

export const backupFilesQuery = z.object({
  path: z.string().max(4096).default("").describe("Relative to the home directory; empty for the home itself. No “..”"),
});

export const backupFiles = z
  .object({
    path: z.string().describe("The folder, relative to the home directory"),
    entries: z
      .array(
        z.object({
          name: z.string(),
          path: z.string().describe("Relative to the home directory"),
          type: z.enum(["dir", "file", "symlink", "other"]),
          size: z.number().int().nullable().describe("Bytes, for files"),
          mtime: isoDate,
        }),
      )
      .describe("Its direct children, folders first"),
  })
  .register(apiSchemas, { id: "BackupFiles" });

/** What the client sends after the start message. */
export const execSocketInput = z.discriminatedUnion("type", [z.object({ type: z.literal("stdin"), data: z.string() }), z.object({ type: z.literal("eof") })]);

export const apiErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(["unauthenticated", "insufficient_scope", "forbidden", "not_found", "conflict", "quota", "too_large", "invalid", "rate_limited", "unavailable", "internal"]),
      message: z.string(),
      field: z.string().optional(),
      fields: z.record(z.string(), z.array(z.string())).optional(),
    }),
  })
  .register(apiSchemas, { id: "Error" });

const apiTeam = z.object({ id: z.string(), slug: z.string(), name: z.string() });

/** One quota column, in the unit its key names; null: no limit (or, for `used`, nothing counted). */
const quotaLine = (unit: string) =>
  z
    .object({
      used: z.number().nullable().describe("In use now; null where nothing is counted (the idle cap) or not yet measured (backups, measured daily)"),
      limit: z.number().nullable().describe("The team's own limit, set by its owners and admins"),
      ceiling: z.number().nullable().describe("The platform's ceiling over it, set by platform admins"),
      enforced: z.number().nullable().describe("The stricter of the two: what creating or starting a workspace is checked against"),
    })
    .describe(unit);

/** Keys as the quota forms name them (QUOTA_FORM_FIELD), in the forms' units. */
export const apiTeamQuota = z
  .object({
    team: apiTeam,
    quotas: z.object({
      maxWorkspaces: quotaLine("Workspaces that aren't deleted"),
      maxRunningWorkspaces: quotaLine("Workspaces running, starting or asked to start"),
      cpuCores: quotaLine("CPU cores of the running workspaces"),
      memoryGiB: quotaLine("GiB of memory of the running workspaces"),
      storageGiB: quotaLine("GiB of home disks of the workspaces that aren't deleted"),
      monthlyCpuCoreHours: quotaLine("CPU core-hours since the 1st of the month (UTC): the monthly budget"),
      maxWorkspacesPerMember: quotaLine("Workspaces of the member who has the most"),
      maxRunningPerMember: quotaLine("Running workspaces of the member who has the most"),
      maxIdleTimeoutMinutes: quotaLine("Minutes: the longest idle timeout any template may have here"),
      backupGiB: quotaLine("GiB of the team's backup repository, after deduplication"),
    }),
    stopAtBudget: z.boolean().describe("Whether running workspaces are stopped too once the budget is used up"),
    budget: z
      .object({
        budgetCoreHours: z.number(),
        usedCoreHours: z.number(),
        level: z.enum(["ok", "warning", "exhausted"]).describe(`warning from ${BUDGET_WARNING_FRACTION * 100} % of the budget; exhausted: nothing new starts`),
        monthStart: isoDate,
      })
      .nullable()
      .describe("The monthly CPU budget's status; null when the team has none"),
  })
  .register(apiSchemas, { id: "TeamQuota" });

export function toApiTeamQuota(team: TeamRef, overview: QuotaOverview): z.infer<typeof apiTeamQuota> {
  const quotas = Object.fromEntries(
    QUOTA_FIELDS.map((field) => {
      const units = (value: number | null) => (value === null ? null : inFormUnits(field, value));
      const line = { used: units(overview.used[field]), limit: units(overview.limit[field]), ceiling: units(overview.ceiling[field]), enforced: units(overview.effective[field]) };
      return [QUOTA_FORM_FIELD[field], line];
    }),
  ) as z.infer<typeof apiTeamQuota>["quotas"];
  return {
    team: { id: team.id, slug: team.slug, name: team.name },
    quotas,
    stopAtBudget: overview.effective.stopAtBudget,
    budget: overview.budget && { ...overview.budget, monthStart: overview.budget.monthStart.toISOString() },
  };
}

/** The team usage page's query: a team's usage breaks down by user or template (by team is the admin's all-teams page). */
export const teamUsageQuery = usageQuerySchema.safeExtend({
  by: z.enum(["user", "template"], { error: "Break a team's usage down by user or template." }).default("user").describe("What the series are broken down by"),
});

const usageAmounts = {
  cpuCoreHours: z.number(),
  memoryGiBHours: z.number(),
  storageGiBDays: z.number().describe("GiB of home disk × days it existed"),
  workspaceHours: z.number().describe("Hours workspaces ran"),
};

export const apiUsageReport = z
  .object({
    team: apiTeam,
    period: z.object({
      kind: z.enum(["month", "30d", "custom"]),
      from: z.iso.date().describe("The first day (UTC)"),
      to: z.iso.date().describe("The last day, included"),
    }),
    by: z.enum(["user", "template"]),
    totals: z.object({
      ...usageAmounts,
      activeUsers: z.number().int().describe("Users whose workspaces ran in the period"),
      sessions: z.number().int().describe("Times a workspace ran"),
      averageSessionHours: z.number().nullable(),
      backupGiBDays: z.number().describe("GiB of the team's backup repository × days"),
    }),
    keys: z.array(z.object({ key: z.string().describe(`A user's or template's id, or "${OTHER}" for the rest`), label: z.string() })).describe("The series' keys, largest first"),
    series: z.array(z.object({ day: z.iso.date(), key: z.string(), ...usageAmounts })).describe("Per day and key, by day"),
    topWorkspaces: z
      .array(z.object({ id: z.string(), name: z.string(), owner: z.string(), template: z.string(), team: z.string(), deleted: z.boolean(), ...usageAmounts }))
      .describe("The workspaces that used the most CPU"),
  })
  .register(apiSchemas, { id: "UsageReport" });

export function toApiUsageReport(team: TeamRef, period: Period, by: z.infer<typeof teamUsageQuery>["by"], report: UsageReport): z.infer<typeof apiUsageReport> {
  return {
    team: { id: team.id, slug: team.slug, name: team.name },
    period: { kind: period.kind, from: dayString(period.from), to: dayString(lastDay(period)) },
    by,
    ...report,
  };
}
