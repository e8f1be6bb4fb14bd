import { createApiToken, listApiTokens } from "@/lib/api-tokens/tokens";
import { apiRoute, json, readJson } from "@/lib/api/route";
import { createdToken, createTokenBody, tokenList, toApiToken } from "@/lib/api/v1/schemas";
import { teamIdFromSlug } from "@/lib/api/v1/teams";

// GET /api/v1/tokens: your tokens in force.
export const GET = apiRoute("read", async ({ actor }) => json(tokenList.parse({ tokens: (await listApiTokens(actor)).map(toApiToken) })));

// POST /api/v1/tokens: a new token (never reaching further than the one asking for it); its secret is in this answer only.
export const POST = apiRoute("tokens:write", async ({ request, actor, token }) => {
  const body = await readJson(request, createTokenBody);
  const teamId = body.team === undefined ? undefined : await teamIdFromSlug(actor, body.team);
  const created = await createApiToken(actor, { name: body.name, days: body.days, scopes: body.scopes, teamId, workspaceIds: body.workspaceIds }, token);
  return json(createdToken.parse({ ...toApiToken(created), token: created.token }), 201);
});
