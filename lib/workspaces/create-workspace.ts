import { recordAudit } from "@/lib/audit";
import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError, conflictOnUnique } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { QUOTA_TRANSACTION, assertWithinQuota } from "@/lib/quotas/enforce";
import type { CreateWorkspaceInput } from "@/lib/schemas/workspaces";
import { assertKnownParameters, defaultParameters, parametersSchema, type WorkspaceParameters } from "@/lib/templates/parameters";
import { templateSpec } from "@/lib/templates/spec";
import { teamNotFound } from "@/lib/teams/access";
import { meterWorkspace } from "@/lib/usage/meter";
import { requestReconcile } from "./reconcile-trigger";
import { pickPoolMember } from "./warm-pool/claim";
import { handOverClaimed } from "./warm-pool/hand-over";
import { requestPoolRefill } from "./warm-pool/refill-trigger";

export interface CreateOptions {
  /**
   * The API's Idempotency-Key: a create repeated with the same key by the
   * same owner (a retry after a lost answer) gets the workspace the first one
   * made, whatever else it says, instead of a second workspace or a conflict.
   */
  idempotencyKey?: string;
}

/**
 * Creates a workspace from the latest version of a template and asks the
 * reconciler to start it, or claims a running one from the team's warm pool
 * when the request matches it (warm-pool/claim.ts); its events say which,
 * and why not. Parameters are validated against that version, the name must
 * be free among the owner's workspaces, and the team's quota is checked under
 * the team's row lock (a claim, which adds nothing to the team's totals,
 * checks only the owner's own limits and the budget). `created` is false when an Idempotency-Key named an
 * earlier one.
 */
export async function createWorkspace(actor: Actor, input: CreateWorkspaceInput, options: CreateOptions = {}): Promise<{ id: string; created: boolean }> {
  if (!can(actor, "workspace:create", { teamId: input.teamId })) throw teamNotFound();
  const startRequestedAt = new Date();
  const db = getDb();
  const { idempotencyKey } = options;
  const earlier = async () => {
    if (idempotencyKey === undefined) return null;
    const keyed = await db.workspace.findUnique({ where: { ownerId_idempotencyKey: { ownerId: actor.id, idempotencyKey } }, select: { id: true, state: true } });
    if (keyed?.state !== "DELETED") return keyed;
    // Its workspace is gone, so the key is free again: a pipeline run again under its id gets a new one.
    await db.workspace.updateMany({ where: { id: keyed.id, state: "DELETED" }, data: { idempotencyKey: null } });
    return null;
  };
  const repeated = await earlier();
  if (repeated) return { id: repeated.id, created: false };
  const template = await db.template.findUnique({
    where: { slug: input.templateSlug },
    include: { versions: { orderBy: { version: "desc" }, take: 1 } },
  });
  const version = template?.versions[0];
  if (!template || template.archivedAt || !version) throw new AppError("not_found", "That template doesn't exist or was archived.", "templateSlug");

  const spec = templateSpec.parse(version.spec);
  assertKnownParameters(spec, input.parameters);
  const parsed = parametersSchema(spec).safeParse(input.parameters ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError("invalid", issue.message, ["parameters", ...issue.path].join("."));
  }
  const parameters: WorkspaceParameters = parsed.data;
  const restore = input.restoreFrom ? await backupToRestore(actor, input.restoreFrom, input.teamId) : null;

  try {
    const workspace = await db.$transaction(async (tx) => {
      const team = await tx.team.findUnique({ where: { id: input.teamId } });
      if (!team) throw teamNotFound();
      if (team.archivedAt) throw new AppError("invalid", `Team ${team.slug} is archived.`, "teamId");
      const taken = await tx.workspace.findFirst({ where: { ownerId: actor.id, name: input.name, state: { not: "DELETED" } } });
      if (taken) throw nameTaken(input.name);
      const pick = await pickPoolMember(tx, {
        teamId: team.id,
        templateId: template.id,
        templateVersionId: version.id,
        parameters,
        defaults: defaultParameters(spec),
        gitRepository: input.gitRepository,
        restoring: restore !== null,
      });
      await assertWithinQuota(tx, team, actor.id, {
        creates: true,
        runs: true,
        cpu: parameters.cpu,
        memoryGiB: parameters.memoryGiB,
        addedDiskGiB: parameters.diskGiB,
        teamCountsIt: pick.claimed,
      });
      const mine = { name: input.name, ownerId: actor.id, idempotencyKey: idempotencyKey ?? null, startRequestedAt };
      const created = pick.claimed
        ? // Ownership moves to the user; the pool's mark goes, so it is never handed out again. Its
          // life, idle time and lifetime, begins now, as a new workspace's would.
          await tx.workspace.update({
            where: { id: pick.workspaceId },
            data: { ...mine, warmPoolId: null, claimedAt: startRequestedAt, createdAt: startRequestedAt, startedAt: startRequestedAt, lastActivityAt: startRequestedAt },
          })
        : await tx.workspace.create({
            data: {
              ...mine,
              teamId: team.id,
              templateVersionId: version.id,
              parameters: parameters as unknown as Prisma.InputJsonValue,
              gitRepository: input.gitRepository ?? null,
              restoreFromId: restore?.id ?? null,
            },
          });
      await tx.workspaceEvent.create({
        data: pick.claimed
          ? { workspaceId: created.id, step: "pool", message: `Claimed from the warm pool: ${template.name} v${version.version}, already running`, data: { claimed: true } }
          : { workspaceId: created.id, step: "state", message: `Created from ${template.name} v${version.version}` },
      });
      if (!pick.claimed) {
        await tx.workspaceEvent.create({ data: { workspaceId: created.id, step: "pool", message: pick.message, data: { claimed: false, reason: pick.reason } } });
      }
      if (restore) await tx.workspaceEvent.create({ data: { workspaceId: created.id, step: "restore", message: `Its home starts as a copy of ${restore.describe}` } });
      // Its volume is metered from creation; a claimed one's usage moves from the pool to the user now.
      await meterWorkspace(tx, created.id, { now: created.createdAt });
      await recordAudit(
        {
          action: "workspace.created",
          actorId: actor.id,
          targetType: "workspace",
          targetId: created.id,
          teamId: team.id,
          after: {
            name: created.name,
            template: template.slug,
            version: version.version,
            parameters: parameters as unknown as Prisma.InputJsonValue,
            fromWarmPool: pick.claimed,
            ...(restore ? { restoredFrom: restore.id } : {}),
          },
        },
        tx,
      );
      return { id: created.id, claimed: pick.claimed };
    }, QUOTA_TRANSACTION);
    if (workspace.claimed) {
      // It runs already: nothing for the reconciler to do. Its terminals and execs carry the user's environment from now on;
      // the runtime's labels follow off the request's path.
      requestPoolRefill();
      void handOverClaimed(workspace.id);
    } else {
      requestReconcile(workspace.id);
    }
    return { id: workspace.id, created: true };
  } catch (error) {
    // Two creates with one key at once: the second finds the first's.
    const raced = await earlier();
    if (raced) return { id: raced.id, created: false };
    throw conflictOnUnique(error, nameTaken(input.name));
  }
}

/**
 * The backup a create restores from, if the actor may read it: a snapshot
 * (not failed, not expired) of a workspace in the team the new one is made in.
 */
async function backupToRestore(actor: Actor, backupId: string, teamId: string): Promise<{ id: string; describe: string }> {
  const backup = await getDb().backup.findUnique({
    where: { id: backupId },
    select: { id: true, status: true, expiredAt: true, finishedAt: true, workspace: { select: { name: true, ownerId: true, teamId: true, deletedAt: true } } },
  });
  const notFound = new AppError("not_found", "That backup doesn't exist, or isn't yours to restore.", "restoreFrom");
  if (!backup || !can(actor, "workspace:read-backups", backup.workspace)) throw notFound;
  if (backup.workspace.teamId !== teamId) throw new AppError("invalid", "A backup restores into a workspace of its own team.", "restoreFrom");
  if (backup.status !== "SUCCEEDED" || backup.expiredAt) throw new AppError("invalid", "That backup has no snapshot to restore (it failed, or expired).", "restoreFrom");
  const name = backup.workspace.deletedAt ? backup.workspace.name.replace(/~.*$/, "") : backup.workspace.name;
  return { id: backup.id, describe: `${name}'s backup of ${backup.finishedAt!.toISOString().replace("T", " ").slice(0, 16)} UTC` };
}

const nameTaken = (name: string) => new AppError("conflict", `You already have a workspace named ${name}.`, "name");
