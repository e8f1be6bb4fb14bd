import { Readable } from "node:stream";
import { recordAudit } from "@/lib/audit";
import type { CurrentUser } from "@/lib/auth/current-user";
import { connectableWorkspace } from "@/lib/auth/websocket-auth";
import { AppError } from "@/lib/errors";
import { ApiError } from "../errors";
import { getRuntime } from "@/lib/runtime/runtime";
import { RuntimeError, type ExecOptions, type ExecResult } from "@/lib/runtime/types";
import { recordActivity } from "@/lib/workspaces/activity";
import { toRuntimeSpec, type WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import type { ExecRequest } from "./schemas";

// What POST /exec, its WebSocket and the file copies share: which workspace
// a token may run commands in (the terminal's rule: only who may open its
// terminal), the audit entry, and the runtime call.

/** How much of the command the audit log keeps. */
const AUDITED_COMMAND_CHARS = 200;

/** The workspace `actor` may run commands in: 404 as for one that doesn't exist when they may not, 409 when it isn't running. */
export async function execTarget(actor: CurrentUser, workspaceId: string): Promise<WorkspaceForRuntime> {
  const workspace = await connectableWorkspace(actor, workspaceId);
  if (!workspace) throw new AppError("not_found", "Workspace not found.");
  if (workspace.state !== "RUNNING") throw new AppError("conflict", notRunning(workspace));
  return workspace;
}

const notRunning = (workspace: { name: string; state: string }) =>
  `Workspace ${workspace.name} is not running (it is ${workspace.state.toLowerCase()}); start it first.`;

/** Records who ran what where (the command cut to 200 characters), or opened a shell; the API marks it "via token <name>". */
export async function auditWorkspaceCommand(
  actor: CurrentUser,
  workspace: WorkspaceForRuntime,
  action: "workspace.exec" | "workspace.files-uploaded" | "workspace.terminal-opened",
  after: Record<string, string>,
) {
  await recordAudit({ action, actorId: actor.id, targetType: "workspace", targetId: workspace.id, teamId: workspace.teamId, after });
}

export const auditedCommand = (command: string[]) => {
  const text = command.join(" ");
  return text.length > AUDITED_COMMAND_CHARS ? `${text.slice(0, AUDITED_COMMAND_CHARS - 1)}…` : text;
};

/** Runs a command in the workspace, counting as activity; a workspace that stopped meanwhile is a 409. */
export async function runInWorkspace(workspace: WorkspaceForRuntime, options: ExecOptions): Promise<ExecResult> {
  recordActivity(workspace.id);
  try {
    return await (await getRuntime()).exec(toRuntimeSpec(workspace), options);
  } catch (error) {
    if (error instanceof RuntimeError && error.code === "not-running") throw new AppError("conflict", notRunning({ name: workspace.name, state: "STOPPED" }));
    if (error instanceof RuntimeError && error.code === "unavailable") throw new ApiError("unavailable", error.message, { "Retry-After": "5" });
    throw error;
  }
}

/** An exec request's fields as the runtime takes them (output goes to the caller's callbacks). */
export function execOptionsOf(request: ExecRequest, stdin: Readable | undefined): Pick<ExecOptions, "command" | "cwd" | "env" | "stdin" | "timeoutMs"> {
  return { command: request.command, cwd: request.cwd, env: request.env, stdin, timeoutMs: request.timeoutSeconds * 1000 };
}

/** The request's `stdin` as a stream that ends after it. */
export const stdinOf = (request: ExecRequest) => (request.stdin === undefined ? undefined : Readable.from([Buffer.from(request.stdin)]));
