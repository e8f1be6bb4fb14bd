import { authenticateApiToken } from "@/lib/api-tokens/tokens";
import { assertScope } from "@/lib/api/route";
import { ApiError } from "@/lib/api/errors";
import { verifyWorkspaceAiToken, WORKSPACE_AI_TOKEN_PREFIX } from "./workspace-token";

// Who a gateway request is from, and whose budget it spends: a workspace's
// token spends its owner's share of the workspace's team; an API token (the
// `ai` scope) spends its owner's share of the team it is bound to, or, for an
// unbound token, of the team the X-Podspace-Team header names, or of the
// owner's only team. Nothing of the request's body is read before this.

export interface Caller {
  teamId: string;
  userId: string;
  workspaceId: string | null;
  apiTokenId: string | null;
  /** What the rate limit counts requests by. */
  rateKey: string;
}

export const TEAM_HEADER = "x-podspace-team";

/** The secret of a request: Authorization: Bearer (OpenAI's SDKs) or x-api-key (Anthropic's). */
function secretOf(headers: Headers): string | null {
  const [kind, secret] = (headers.get("authorization") ?? "").split(" ");
  if (kind?.toLowerCase() === "bearer" && secret) return secret;
  return headers.get("x-api-key");
}

export async function authenticateCaller(headers: Headers): Promise<Caller> {
  const secret = secretOf(headers);
  if (!secret) throw new ApiError("unauthenticated", "Send a workspace's AI key or an API token with the ai scope, as Authorization: Bearer <key> or x-api-key.");
  if (secret.startsWith(WORKSPACE_AI_TOKEN_PREFIX)) {
    const workspace = await verifyWorkspaceAiToken(secret);
    if (!workspace) throw new ApiError("unauthenticated", "This workspace AI key is no longer valid: it lasts for one run of its workspace (restart it, or read the key from a new shell).");
    return { ...workspace, apiTokenId: null, rateKey: `workspace:${workspace.workspaceId}` };
  }
  const token = await authenticateApiToken(secret);
  if (!token) throw new ApiError("unauthenticated", "This token is invalid, expired or revoked.");
  assertScope(token, "ai");
  const teams = token.actor.teams;
  const slug = headers.get(TEAM_HEADER);
  const team = slug ? teams.find((candidate) => candidate.slug === slug) : teams.length === 1 ? teams[0] : undefined;
  if (!team) {
    throw new ApiError(
      slug ? "forbidden" : "invalid",
      slug ? `This token can't spend team ${slug}'s AI budget.` : `Say whose AI budget to spend: bind the token to a team, or send ${TEAM_HEADER}: <team slug>.`,
    );
  }
  return { teamId: team.id, userId: token.actor.id, workspaceId: null, apiTokenId: token.id, rateKey: token.id };
}
