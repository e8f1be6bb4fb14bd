import type { IncomingMessage } from "node:http";
import type { ApiScope } from "@/lib/api-tokens/scopes";
import { authenticateApiToken, tokenReaches, type AuthenticatedToken } from "@/lib/api-tokens/tokens";
import { CLOSE_SIGNED_OUT, connectableWorkspace, refuseUpgrade, type Revocation } from "@/lib/auth/websocket-auth";
import type { WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import { toErrorResponse } from "../errors";
import { assertRateLimit } from "../rate-limit";
import { assertScope, assertTokenReaches, bearerToken } from "../route";
import { execTarget } from "./exec";

// The API's WebSockets (exec, terminal, port forwarding) are authenticated as
// its requests are (route.ts): the bearer token, its rate limit, its scope,
// then the workspace, which must be one the token's owner may open a terminal
// in, and running. All of it before the upgrade is accepted and anything is
// read; a refusal is the API's JSON error with its status, as for a request.

export interface ApiUpgrade {
  /** The token's secret, to check it again while the socket is open (stillAllowed). */
  secret: string;
  token: AuthenticatedToken;
  workspace: WorkspaceForRuntime;
}

/** The token and running workspace an API upgrade request may use; on refusal, answers it and resolves null (the route's "declined"). */
export async function authorizeApiUpgrade(request: IncomingMessage, workspaceId: string, scope: ApiScope): Promise<ApiUpgrade | null> {
  try {
    const token = await bearerToken(request.headers.authorization);
    await assertRateLimit(token.id);
    assertScope(token, scope);
    assertTokenReaches(token, workspaceId);
    return { secret: token.secret, token, workspace: await execTarget(token.actor, workspaceId) };
  } catch (error) {
    return refuseApiUpgrade(request, error);
  }
}

/** Answers an upgrade request with the API's JSON error for `error` (and its Retry-After); resolves null. */
export async function refuseApiUpgrade(request: IncomingMessage, error: unknown): Promise<null> {
  const answer = toErrorResponse(error);
  const retryAfter = answer.headers.get("retry-after");
  return refuseUpgrade(request, answer.status, { json: await answer.text(), headers: retryAfter ? { "Retry-After": retryAfter } : {} });
}

/** How an API socket closes once its token no longer allows it (stillAllowed). */
export const TOKEN_REVOKED: Revocation = { code: CLOSE_SIGNED_OUT, reason: "token revoked or access lost" };

/** The token behind `secret` while it is still in force with the scope (not revoked, not expired), as it is now: checked while an answer streams. */
export async function tokenInForce(secret: string, scope: ApiScope): Promise<AuthenticatedToken | null> {
  const token = await authenticateApiToken(secret);
  return token?.scopes.includes(scope) ? token : null;
}

/** Whether the token is still in force, with the scope, and its owner may still open the workspace: checked while a socket is open. */
export async function stillAllowed(secret: string, workspaceId: string, scope: ApiScope): Promise<boolean> {
  const token = await tokenInForce(secret, scope);
  if (!token || !tokenReaches(token, workspaceId)) return false;
  return (await connectableWorkspace(token.actor, workspaceId)) !== null;
}
