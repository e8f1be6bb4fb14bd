import type { Prisma } from "@/lib/generated/prisma/client";
import type { WorkspaceParameters } from "@/lib/templates/parameters";

// The claim: a create whose request matches a warm pool takes one of its
// running members instead of starting a workspace cold. Inside the create's
// transaction a member is picked with FOR UPDATE SKIP LOCKED, so two creates
// at once never get the same one (the second skips the row the first holds,
// and PostgreSQL re-checks the member is still unclaimed on the row it
// locks); the caller then makes it the user's in that same transaction.
// Claims take no team lock (lib/quotas/enforce.ts): they run side by side. A member is claimed once: a claimed
// workspace never goes back to a pool, whatever happens to it later.

/** What a pool holds: its template's latest version with the default size and parameters, without a repository. */
export interface PoolRequest {
  teamId: string;
  templateId: string;
  templateVersionId: string;
  parameters: WorkspaceParameters;
  defaults: WorkspaceParameters;
  gitRepository: string | null | undefined;
  /** Whether its home is to be restored from a backup, which needs a home of its own. */
  restoring: boolean;
}

export type ClaimOutcome =
  | { claimed: true; workspaceId: string }
  | { claimed: false; reason: "no-pool" | "no-match" | "empty"; message: string };

/** Same values; both come from one schema's parse, so their keys are in one order. */
const sameParameters = (a: WorkspaceParameters, b: WorkspaceParameters) => JSON.stringify(a) === JSON.stringify(b);

/** Locks a running member of the team's pool that matches the request, if any, for the rest of the transaction. */
export async function pickPoolMember(tx: Prisma.TransactionClient, request: PoolRequest): Promise<ClaimOutcome> {
  const pool = await tx.warmPool.findUnique({ where: { teamId_templateId: { teamId: request.teamId, templateId: request.templateId } } });
  if (!pool || pool.size === 0) return { claimed: false, reason: "no-pool", message: "Not from a warm pool: the team keeps none for this template." };
  if (request.restoring) return { claimed: false, reason: "no-match", message: "Not from the warm pool: a workspace restored from a backup starts with a home of its own." };
  if (request.gitRepository || !sameParameters(request.parameters, request.defaults)) {
    return {
      claimed: false,
      reason: "no-match",
      message: "Not from the warm pool: it keeps only workspaces with the template's default size and parameters, without a repository.",
    };
  }
  const [member] = await tx.$queryRaw<{ id: string }[]>`
    SELECT "id" FROM "Workspace"
     WHERE "warmPoolId" = ${pool.id} AND "templateVersionId" = ${request.templateVersionId}
       AND "state" = 'RUNNING' AND "desiredState" = 'RUNNING' AND "restartRequestedAt" IS NULL
     ORDER BY "createdAt", "id"
     LIMIT 1
       FOR UPDATE SKIP LOCKED`;
  if (!member) return { claimed: false, reason: "empty", message: "Not from the warm pool: it had no running workspace to hand out." };
  return { claimed: true, workspaceId: member.id };
}
