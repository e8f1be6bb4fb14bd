import { withAuditVia } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import type { TerminalGate } from "@/lib/terminal/route";
import { API_ERROR_STATUS, ApiError, type ApiErrorCode } from "../errors";
import { auditWorkspaceCommand } from "./exec";
import { authorizeApiUpgrade, refuseApiUpgrade, stillAllowed, TOKEN_REVOKED } from "./socket-auth";

// The workspace's terminal for API tokens, /api/v1/workspaces/<id>/terminal
// (what `podspace ssh` opens): the browser's terminal, its protocol
// (lib/terminal/protocol.ts) and its sessions, behind the API's own gate. A
// shell is command execution, so it takes the exec scope, and it is its
// token's owner's: the same sessions as theirs in the browser. The token is
// checked again every few seconds; once revoked, the socket closes (4401).

export const API_TERMINAL_PATH = "/api/v1/workspaces/:id/terminal";

export const apiTerminalGate: TerminalGate = {
  async admit(request, workspaceId = "") {
    const allowed = await authorizeApiUpgrade(request, workspaceId, "exec");
    if (!allowed) return null;
    const { secret, token, workspace } = allowed;
    return {
      userId: token.actor.id,
      workspace,
      revocation: async () => ((await stillAllowed(secret, workspace.id, "exec")) ? null : TOKEN_REVOKED),
      opened: () => withAuditVia(`token ${token.name}`, () => auditWorkspaceCommand(token.actor, workspace, "workspace.terminal-opened", {})),
    };
  },
  refuse: (request, status) =>
    refuseApiUpgrade(
      request,
      status === 400
        ? new AppError("invalid", "The session must be 1 to 64 letters, digits, - or _.", "session")
        : new ApiError(codeOf(status), "The Podspace server holding this terminal session refused it."),
    ),
};

const codeOf = (status: number): ApiErrorCode =>
  (Object.entries(API_ERROR_STATUS) as [ApiErrorCode, number][]).find(([, known]) => known === status)?.[0] ?? "unavailable";
