import { createHash, randomBytes } from "node:crypto";
import type { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { can } from "@/lib/authz";
import { loadCurrentUser, type CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { AppError, conflictOnUnique } from "@/lib/errors";
import { createApiTokenSchema, revokeApiTokenSchema, type CreateApiTokenInput } from "@/lib/schemas/api-tokens";
import type { ApiScope } from "./scopes";

// Personal API tokens. The secret is handed out once, at creation; only its
// SHA-256 is stored (a token is 256 random bits, so a fast hash is enough:
// there is nothing to brute-force). Every request looks the hash up, so a
// revocation, an expiry, a deactivated owner or a lost membership applies to
// the very next request.

/** Every token starts with this, so secret scanners and people can tell what it is. */
const TOKEN_PREFIX = "pds_";
/** How much of the secret is kept in clear, to tell tokens apart in lists. */
const SHOWN_CHARS = TOKEN_PREFIX.length + 8;
/** lastUsedAt is written at most this often per token, not on every request. */
const LAST_USED_PRECISION_MS = 60_000;

export interface ApiTokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  team: { id: string; slug: string } | null;
  workspaceIds: string[];
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
}

/** A request's token, checked: who it acts as, and what it is bound to. */
export interface AuthenticatedToken {
  id: string;
  name: string;
  scopes: readonly ApiScope[];
  teamId: string | null;
  workspaceIds: readonly string[];
  /** The owner as they are now, narrowed to the token's team and scopes (actorForToken). */
  actor: CurrentUser;
}

const hashOf = (secret: string) => createHash("sha256").update(secret).digest("hex");

const viewSelect = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  workspaceIds: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  team: { select: { id: true, slug: true } },
} as const;

function toView(row: { scopes: string[] } & Omit<ApiTokenView, "scopes">): ApiTokenView {
  return { ...row, scopes: row.scopes as ApiScope[] };
}

/** What a token that asks for a new one is bound to. */
export type TokenBounds = Pick<AuthenticatedToken, "scopes" | "teamId" | "workspaceIds">;

/**
 * Makes a token for `actor`; the returned `token` is the only time its
 * secret exists outside the caller. Asked for by a token (`issuedBy`), the
 * new one stays within it.
 */
export function createApiToken(actor: CurrentUser, input: CreateApiTokenInput, issuedBy?: TokenBounds): Promise<ApiTokenView & { token: string }> {
  return issueApiToken(actor, issuedBy ? withinBounds(createApiTokenSchema.parse(input), issuedBy) : input, actor.id);
}

/**
 * A token made by a token: none of the scopes it lacks, its team and its
 * workspaces (or some of them) when it is bound to them; what the request
 * leaves out is the issuing token's. Otherwise a leaked narrow token (a CI
 * job's rotation token, say) could make a token that reaches every team
 * and workspace of its owner.
 */
function withinBounds(input: z.output<typeof createApiTokenSchema>, bounds: TokenBounds): CreateApiTokenInput {
  const missing = input.scopes.filter((scope) => !bounds.scopes.includes(scope));
  if (missing.length > 0) throw new AppError("forbidden", `This token can't give a token scopes it doesn't have: ${missing.join(", ")}.`, "scopes");
  const teamId = input.teamId ?? bounds.teamId ?? undefined;
  if (bounds.teamId !== null && teamId !== bounds.teamId) {
    throw new AppError("forbidden", "This token is bound to a team, so a token it makes is bound to the same team.", "teamId");
  }
  const workspaceIds = input.workspaceIds.length > 0 ? input.workspaceIds : [...bounds.workspaceIds];
  const outside = bounds.workspaceIds.length > 0 ? workspaceIds.filter((id) => !bounds.workspaceIds.includes(id)) : [];
  if (outside.length > 0) {
    throw new AppError("forbidden", `This token is bound to a list of workspaces, so a token it makes is bound to some of them; not to ${outside.join(", ")}.`, "workspaceIds");
  }
  return { ...input, teamId, workspaceIds };
}

/**
 * Makes a token acting as `owner`, on `issuerId`'s request (the owner
 * themself, or a team admin for the team's service account): the token
 * never reaches further than its owner.
 */
export async function issueApiToken(owner: CurrentUser, input: CreateApiTokenInput, issuerId: string): Promise<ApiTokenView & { token: string }> {
  const { name, days, scopes, teamId, workspaceIds } = createApiTokenSchema.parse(input);
  const maxDays = env.PODSPACE_API_TOKEN_MAX_DAYS;
  if (days > maxDays) throw new AppError("invalid", `A token lives at most ${maxDays} days here.`, "days");
  if (teamId !== undefined && !can(owner, "team:view", { teamId })) throw new AppError("not_found", "Team not found.", "teamId");
  if (scopes.includes("admin") && !owner.isPlatformAdmin && !owner.isTemplateAdmin) {
    throw new AppError("forbidden", "Only platform and template admins may give a token the admin scope.", "scopes");
  }
  const db = getDb();
  if (workspaceIds.length > 0) {
    const reachable = await db.workspace.findMany({
      where: { id: { in: workspaceIds }, deletedAt: null, ...(teamId ? { teamId } : {}) },
      select: { id: true, teamId: true, ownerId: true },
    });
    const missing = workspaceIds.find((id) => !reachable.some((workspace) => workspace.id === id && can(owner, "workspace:view", workspace)));
    if (missing) throw new AppError("not_found", `Workspace ${missing} not found${teamId ? " in that team" : ""}.`, "workspaceIds");
  }

  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  try {
    const created = await db.$transaction(async (tx) => {
      const row = await tx.apiToken.create({
        data: {
          userId: owner.id,
          name,
          prefix: token.slice(0, SHOWN_CHARS),
          secretHash: hashOf(token),
          scopes,
          teamId: teamId ?? null,
          workspaceIds,
          expiresAt: new Date(Date.now() + days * 86_400_000),
        },
        select: viewSelect,
      });
      await recordAudit(
        {
          action: "token.created",
          actorId: issuerId,
          targetType: "token",
          targetId: row.id,
          teamId: teamId ?? null,
          after: { name, owner: owner.email, scopes, workspaceIds, expiresAt: row.expiresAt.toISOString() },
        },
        tx,
      );
      return row;
    });
    return { ...toView(created), token };
  } catch (error) {
    throw conflictOnUnique(error, new AppError("conflict", `${owner.id === issuerId ? "You already have" : `${owner.name ?? owner.email} already has`} a token named ${name}.`, "name"));
  }
}

/** The actor's tokens in force (not revoked, not expired), newest first. */
export async function listApiTokens(actor: CurrentUser): Promise<ApiTokenView[]> {
  return (await tokensInForce([actor.id])).get(actor.id) ?? [];
}

/** The tokens in force of each of these users, newest first. */
export async function tokensInForce(userIds: readonly string[]): Promise<Map<string, ApiTokenView[]>> {
  const rows = await getDb().apiToken.findMany({
    where: { userId: { in: [...userIds] }, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
    select: { ...viewSelect, userId: true },
  });
  const byUser = new Map<string, ApiTokenView[]>();
  for (const { userId, ...row } of rows) byUser.set(userId, [...(byUser.get(userId) ?? []), toView(row)]);
  return byUser;
}

/**
 * Revokes one of the actor's own tokens, or one of a service account of a
 * team the actor manages the members of; it stops working at its next request.
 */
export async function revokeApiToken(actor: CurrentUser, input: { tokenId: string }): Promise<void> {
  const { tokenId } = revokeApiTokenSchema.parse(input);
  await getDb().$transaction(async (tx) => {
    const token = await tx.apiToken.findUnique({ where: { id: tokenId }, include: { user: { select: { isServiceAccount: true } } } });
    const revocable =
      token !== null &&
      !token.revokedAt &&
      (token.userId === actor.id || (token.user.isServiceAccount && token.teamId !== null && can(actor, "team:manage-members", { teamId: token.teamId })));
    if (!revocable) throw new AppError("not_found", "Token not found.");
    await tx.apiToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
    await recordAudit({ action: "token.revoked", actorId: actor.id, targetType: "token", targetId: tokenId, teamId: token.teamId, before: { name: token.name } }, tx);
  });
}

/** The token behind a bearer secret, if it is in force and its owner still active; null for anything else. */
export async function authenticateApiToken(secret: string): Promise<AuthenticatedToken | null> {
  if (!secret.startsWith(TOKEN_PREFIX)) return null;
  const db = getDb();
  const token = await db.apiToken.findUnique({ where: { secretHash: hashOf(secret) } });
  const now = new Date();
  if (!token || token.revokedAt || token.expiresAt <= now) return null;
  const owner = await loadCurrentUser(token.userId);
  if (!owner) return null;
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
    // Not awaited: when a token was last used is for people to read, not worth a request's time.
    void db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } }).catch(() => {});
  }
  const scopes = token.scopes as ApiScope[];
  return {
    id: token.id,
    name: token.name,
    scopes,
    teamId: token.teamId,
    workspaceIds: token.workspaceIds,
    actor: actorForToken(owner, { scopes, teamId: token.teamId }),
  };
}

/**
 * The owner as a token lets them act: in the token's team only, when it is
 * bound to one, and with their admin rights only under the admin scope (a
 * token bound to a team lends no platform-wide rights at all).
 * (Its workspace list is enforced where a workspace is looked up: tokenReaches.)
 */
export function actorForToken(owner: CurrentUser, token: { scopes: readonly ApiScope[]; teamId: string | null }): CurrentUser {
  const teams = token.teamId ? owner.teams.filter((team) => team.id === token.teamId) : owner.teams;
  const admin = token.scopes.includes("admin");
  return {
    ...owner,
    teams,
    roles: new Map(teams.map((team) => [team.id, team.role])),
    isPlatformAdmin: admin && token.teamId === null && owner.isPlatformAdmin,
    isTemplateAdmin: admin && Boolean(owner.isTemplateAdmin),
  };
}

/** Whether a token bound to a list of workspaces may touch this one (an unbound token may touch any its actor may). */
export function tokenReaches(token: Pick<AuthenticatedToken, "workspaceIds">, workspaceId: string): boolean {
  return token.workspaceIds.length === 0 || token.workspaceIds.includes(workspaceId);
}
