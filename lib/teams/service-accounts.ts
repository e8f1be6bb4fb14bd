import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { issueApiToken, tokensInForce, type ApiTokenView } from "@/lib/api-tokens/tokens";
import { loadCurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { AppError, conflictOnUnique } from "@/lib/errors";
import {
  createServiceAccountSchema,
  createServiceAccountTokenSchema,
  serviceAccountSchema,
  type CreateApiTokenInput,
} from "@/lib/schemas/api-tokens";
import { assertCanManageMembers, lockTeamInReach, teamDenied } from "./access";

// Service accounts: a team's robots for CI and AI agents. Each is a user
// that is a plain member of its one team, so that its workspaces count
// against the team's quotas like any member's, and that acts only through
// API tokens its team's owners and admins make for it: it never signs in
// (lib/auth/auth.ts refuses it), and its email address is under a reserved
// domain no identity provider issues.

const EMAIL_DOMAIN = "service-accounts.podspace.invalid";

export interface ServiceAccountView {
  id: string;
  name: string;
  createdAt: Date;
  tokens: ApiTokenView[];
}

const denied = (actor: Actor, teamId: string) => teamDenied(actor, teamId, "Only team owners and admins manage service accounts.");

/** The team's service accounts with their tokens in force, for those who manage its members. */
export async function listServiceAccounts(actor: Actor, teamId: string): Promise<ServiceAccountView[]> {
  if (!can(actor, "team:manage-members", { teamId })) throw denied(actor, teamId);
  const accounts = await getDb().user.findMany({
    where: { isServiceAccount: true, deactivatedAt: null, memberships: { some: { teamId } } },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, createdAt: true },
  });
  const tokens = await tokensInForce(accounts.map((account) => account.id));
  return accounts.map((account) => ({ ...account, name: account.name ?? "", tokens: tokens.get(account.id) ?? [] }));
}

export async function createServiceAccount(actor: Actor, input: { teamId: string; name: string }): Promise<{ id: string }> {
  const { teamId, name } = createServiceAccountSchema.parse(input);
  try {
    return await getDb().$transaction(async (tx) => {
      const team = await lockTeamInReach(tx, actor, teamId);
      assertCanManageMembers(actor, { teamId, newRole: "MEMBER" });
      const account = await tx.user.create({ data: { email: `${name}.${team.slug}@${EMAIL_DOMAIN}`, name, isServiceAccount: true } });
      await tx.membership.create({ data: { teamId, userId: account.id, role: "MEMBER", source: "MANUAL" } });
      await recordAudit({ action: "service-account.created", actorId: actor.id, targetType: "user", targetId: account.id, teamId, after: { name } }, tx);
      return { id: account.id };
    });
  } catch (error) {
    throw conflictOnUnique(error, new AppError("conflict", `This team already has a service account named ${name}.`, "name"));
  }
}

/** The service account and its team, if the actor manages that team's members; not found otherwise. */
async function managedServiceAccount(actor: Actor, serviceAccountId: string) {
  const account = await getDb().user.findUnique({
    where: { id: serviceAccountId },
    // Its team is the one that made it: its first membership (addMember refuses it any other, but one added before that did not).
    select: { id: true, name: true, isServiceAccount: true, deactivatedAt: true, memberships: { select: { teamId: true }, orderBy: { createdAt: "asc" }, take: 1 } },
  });
  const teamId = account?.memberships[0]?.teamId;
  if (!account?.isServiceAccount || account.deactivatedAt || !teamId) throw new AppError("not_found", "Service account not found.");
  if (!can(actor, "team:manage-members", { teamId })) throw denied(actor, teamId);
  return { ...account, teamId };
}

/** A token for the service account, bound to its team; shown once, like anyone's. */
export async function createServiceAccountToken(actor: Actor, input: Omit<CreateApiTokenInput, "teamId" | "workspaceIds"> & { serviceAccountId: string }) {
  const { serviceAccountId, ...token } = createServiceAccountTokenSchema.parse(input);
  const account = await managedServiceAccount(actor, serviceAccountId);
  const owner = await loadCurrentUser(account.id);
  if (!owner) throw new AppError("not_found", "Service account not found.");
  return issueApiToken(owner, { ...token, teamId: account.teamId }, actor.id);
}

/** Ends a service account: its tokens stop working at once; its workspaces stay, for the team's admins to keep or delete. */
export async function removeServiceAccount(actor: Actor, input: { serviceAccountId: string }): Promise<void> {
  const { serviceAccountId } = serviceAccountSchema.parse(input);
  const account = await managedServiceAccount(actor, serviceAccountId);
  await getDb().$transaction(async (tx) => {
    const now = new Date();
    await tx.user.update({ where: { id: account.id }, data: { deactivatedAt: now } });
    await tx.apiToken.updateMany({ where: { userId: account.id, revokedAt: null }, data: { revokedAt: now } });
    await recordAudit({ action: "service-account.removed", actorId: actor.id, targetType: "user", targetId: account.id, teamId: account.teamId, before: { name: account.name } }, tx);
  });
}
