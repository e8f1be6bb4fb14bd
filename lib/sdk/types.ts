import type { z } from "zod";
import type {
  apiErrorSchema,
  apiTeamQuota,
  apiTemplate,
  apiToken,
  apiUsageReport,
  apiWorkspace,
  apiWorkspacePage,
  changeSettingsBody,
  createdToken,
  createTokenBody,
  createWorkspaceBody,
  execRequest,
  execResult,
  listWorkspacesQuery,
  settingsResult,
  teamUsageQuery,
} from "../api/v1/schemas";
import type { WorkspaceEventView, WorkspaceStateView } from "../workspaces/get-workspace";

// What the SDK sends and gets, typed from the zod schemas the routes parse
// and answer with (and, for the streams, the views the server serializes).
// Type imports only: none of those server modules is loaded at run time, so
// the SDK runs in any Node process.

export type Workspace = z.infer<typeof apiWorkspace>;
export type WorkspacePage = z.infer<typeof apiWorkspacePage>;
export type ListWorkspacesQuery = Partial<z.input<typeof listWorkspacesQuery>>;
export type CreateWorkspaceInput = z.input<typeof createWorkspaceBody>;
export type ChangeSettingsInput = z.input<typeof changeSettingsBody>;
export type SettingsChange = z.infer<typeof settingsResult>;
export type Template = z.infer<typeof apiTemplate>;
export type Token = z.infer<typeof apiToken>;
export type CreatedToken = z.infer<typeof createdToken>;
export type CreateTokenInput = z.input<typeof createTokenBody>;
export type ExecRequest = z.input<typeof execRequest>;
export type TeamQuota = z.infer<typeof apiTeamQuota>;
export type UsageReport = z.infer<typeof apiUsageReport>;
export type UsageQuery = Partial<z.input<typeof teamUsageQuery>>;
/** How a command streamed over the exec WebSocket ended: exitCode is null when it was killed (timedOut says whether by its timeout). */
export type ExecExit = Pick<z.infer<typeof execResult>, "exitCode" | "timedOut">;
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;
export type ApiErrorCode = ApiErrorBody["error"]["code"];

export type WorkspaceState = Workspace["state"];
export type WorkspaceEvent = WorkspaceEventView;

/** One update of GET /workspaces/<id>/events. */
export type WorkspaceUpdate = { type: "state"; workspace: WorkspaceStateView } | { type: "event"; event: WorkspaceEventView } | { type: "gone" };

/** One line of POST /workspaces?wait=ready before its last: the workspace's progress. */
export type ReadinessProgress = ({ type: "state" } & WorkspaceStateView) | ({ type: "event" } & WorkspaceEventView);

/** The last line of POST /workspaces?wait=ready: how the wait ended. */
export type ReadinessOutcome =
  | { type: "ready"; id: string }
  | { type: "failed"; id?: string; reason: string | null; message: string }
  | { type: "timeout"; message: string }
  | { type: "error"; message: string };
