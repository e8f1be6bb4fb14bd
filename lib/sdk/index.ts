// The Podspace SDK: `new PodspaceClient({ url, token })`.
export { PodspaceClient, type CreateWorkspaceOptions, type EventsOptions, type PodspaceClientOptions, type WorkspaceOperation } from "./client";
export { PodspaceApiError, WorkspaceNotReadyError } from "./errors";
export type { ExecOptions } from "./exec";
export type * from "./types";
