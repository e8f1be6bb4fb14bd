// The Podspace SDK: `new PodspaceClient({ url, token })`.
export { PodspaceClient, type CreateWorkspaceOptions, type EventsOptions, type PodspaceClientOptions, type WorkspaceOperation } from "./client";
export { PodspaceApiError, PodspaceSocketClosedError, WorkspaceNotReadyError } from "./errors";
export type { ExecOptions } from "./exec";
export { endedNormally, type Terminal, type TerminalEnd, type TerminalOptions } from "./terminal";
export type * from "./types";
