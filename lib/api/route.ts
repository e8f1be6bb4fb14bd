import type { z } from "zod";
import { authenticateApiToken, tokenReaches, type AuthenticatedToken } from "@/lib/api-tokens/tokens";
import type { ApiScope } from "@/lib/api-tokens/scopes";
import { withAuditVia } from "@/lib/audit";
import type { CurrentUser } from "@/lib/auth/current-user";
import { AppError } from "@/lib/errors";
import { ApiError, toErrorResponse } from "./errors";
import { readJsonBody } from "./json-body";
import { assertRateLimit } from "./rate-limit";

// The one wrapper every /api/v1 route handler goes through, in this order:
// the bearer token (401), its rate limit (429), its scope (403), then the
// handler, whose audit entries say "via token <name>", and whose errors become
// the API's JSON errors (errors.ts). Nothing of the request is read before
// the token is checked.

export interface ApiContext<Params> {
  request: Request;
  params: Params;
  /** With its secret, to check it again while the answer is in progress. */
  token: AuthenticatedToken & { secret: string };
  /** The token's owner, narrowed to what the token allows (actorForToken). */
  actor: CurrentUser;
}

type RouteHandler<Params> = (request: Request, route: { params: Promise<Params> }) => Promise<Response>;

/** Bodies larger than this are refused before parsing; nothing the API takes as JSON comes near. */
const MAX_JSON_BYTES = 64 * 1024;

export function apiRoute<Params = Record<string, never>>(scope: ApiScope, handler: (context: ApiContext<Params>) => Promise<Response>): RouteHandler<Params> {
  return async (request, route) => {
    try {
      const token = await bearerToken(request.headers.get("authorization"));
      await assertRateLimit(token.id);
      assertScope(token, scope);
      const params = await route.params;
      return await withAuditVia(`token ${token.name}`, () => handler({ request, params, token, actor: token.actor }));
    } catch (error) {
      return toErrorResponse(error);
    }
  };
}

/** The token an Authorization header carries, or a 401 saying what is wrong with it. */
export async function bearerToken(authorization: string | null | undefined): Promise<AuthenticatedToken & { secret: string }> {
  const [kind, secret] = (authorization ?? "").split(" ");
  if (kind?.toLowerCase() !== "bearer" || !secret) {
    throw new ApiError("unauthenticated", "Send an API token as Authorization: Bearer <token> (create one on the Tokens page).", {
      "WWW-Authenticate": 'Bearer realm="podspace"',
    });
  }
  const token = await authenticateApiToken(secret);
  if (!token) throw new ApiError("unauthenticated", "This token is invalid, expired or revoked.", { "WWW-Authenticate": 'Bearer error="invalid_token"' });
  return { ...token, secret };
}

export function assertScope(token: AuthenticatedToken, scope: ApiScope): void {
  if (!token.scopes.includes(scope)) throw new ApiError("insufficient_scope", `This token lacks the ${scope} scope.`);
}

/** The request's JSON body, parsed with `schema`; a body that isn't JSON, or too large, is a 422 with the reason. */
export async function readJson<Schema extends z.ZodType>(request: Request, schema: Schema): Promise<z.output<Schema>> {
  return schema.parse(await readJsonBody(request, MAX_JSON_BYTES));
}

/** A JSON answer that no cache keeps. */
export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });

/** Throws not_found for a workspace outside the token's list, exactly as for one that doesn't exist. */
export function assertTokenReaches(token: AuthenticatedToken, workspaceId: string): void {
  if (!tokenReaches(token, workspaceId)) throw new AppError("not_found", "Workspace not found.");
}
