import { recordAudit, type AuditAction } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { QUOTA_TRANSACTION } from "@/lib/quotas/enforce";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { WorkspaceOperationInput } from "@/lib/schemas/workspaces";
import { parametersSchema, type WorkspaceParameters } from "@/lib/templates/parameters";
import { templateSpec } from "@/lib/templates/spec";
import { assertMayOperate, beingDeleted } from "./operate-access";
import { requestReconcile } from "./reconcile-trigger";
import { startWorkspace, type StartOperation } from "./start-batch";

// What users do to a workspace: each operation only records what they want
// (desiredState) under the workspace's row lock; the reconciler does it. Two
// clicks on Start therefore start it once. Restart and an update of a running
// workspace set restartRequestedAt, which the reconciler turns into a stop and
// a start. Start and Retry, which check the team's quota, are decided in
// batches (start-batch.ts).

const AUDIT: Record<Exclude<WorkspaceOperationInput["operation"], StartOperation>, AuditAction> = {
  stop: "workspace.stop-requested",
  delete: "workspace.delete-requested",
  "delete-without-backup": "workspace.final-backup-skipped",
  restart: "workspace.restart-requested",
  update: "workspace.updated",
};

const lockedWorkspaceInclude = { team: true, templateVersion: { include: { template: true } } } satisfies Prisma.WorkspaceInclude;

export { workspaceNotFound } from "./operate-access";

/**
 * Locks the workspace's row for the rest of `tx` and loads it, if the actor
 * may change it: not found when they can't see it, forbidden when they can
 * only look.
 */
export async function lockWorkspaceToOperate(tx: Prisma.TransactionClient, actor: Actor, workspaceId: string): Promise<LockedWorkspace> {
  await tx.$queryRaw`SELECT 1 FROM "Workspace" WHERE "id" = ${workspaceId} FOR UPDATE`;
  const workspace = await tx.workspace.findUnique({ where: { id: workspaceId }, include: lockedWorkspaceInclude });
  assertMayOperate(actor, workspace);
  return workspace;
}

export async function operateWorkspace(actor: Actor, input: WorkspaceOperationInput): Promise<void> {
  // Before the quota decision: a start's time budget counts the wait for the lock too.
  const requestedAt = new Date();
  // Starts are decided in batches, with their quota (start-batch.ts).
  if (input.operation === "start" || input.operation === "retry") return startWorkspace(actor, input.workspaceId, input.operation, requestedAt);
  const { operation } = input;
  await getDb().$transaction(async (tx) => {
    const workspace = await lockWorkspaceToOperate(tx, actor, input.workspaceId);

    let desiredState: DesiredState = workspace.desiredState;
    const state: WorkspaceState = workspace.state;
    const changes: { restartRequestedAt?: Date; startRequestedAt?: Date; finalBackupSkippedAt?: Date } = {};
    const before: Record<string, Prisma.InputJsonValue> = { desiredState: workspace.desiredState, state: workspace.state };
    const after: Record<string, Prisma.InputJsonValue> = {};
    if (workspace.desiredState === "DELETED" && operation !== "delete" && operation !== "delete-without-backup") throw beingDeleted();
    switch (operation) {
      case "stop":
        desiredState = "STOPPED";
        break;
      case "restart":
        if (workspace.desiredState !== "RUNNING" || workspace.state !== "RUNNING") {
          throw new AppError("conflict", "Only a running workspace can be restarted.");
        }
        changes.restartRequestedAt = changes.startRequestedAt = requestedAt;
        break;
      case "update": {
        const update = await latestVersionUpdate(tx, workspace);
        before.version = update.fromVersion;
        after.version = update.toVersion;
        after.parameters = update.parameters as unknown as Prisma.InputJsonValue;
        await tx.workspace.update({
          where: { id: workspace.id },
          data: { templateVersionId: update.versionId, parameters: update.parameters as unknown as Prisma.InputJsonValue },
        });
        // A running workspace picks up the new version by restarting; a stopped one at its next start.
        if (workspace.desiredState === "RUNNING") changes.restartRequestedAt = changes.startRequestedAt = requestedAt;
        await tx.workspaceEvent.create({
          data: { workspaceId: workspace.id, step: "state", message: `Updated to ${update.templateName} v${update.toVersion}` },
        });
        break;
      }
      case "delete":
        if (input.confirmName !== workspace.name) throw new AppError("invalid", `Type ${workspace.name} to confirm.`, "confirmName");
        desiredState = "DELETED";
        break;
      case "delete-without-backup": {
        // Only once its final backup has failed: until then a delete takes one, and nothing is lost.
        const failedFinalBackups = await tx.backup.count({ where: { workspaceId: workspace.id, reason: "DELETE", status: "FAILED" } });
        if (workspace.desiredState !== "DELETED" || failedFinalBackups === 0) {
          throw new AppError("conflict", "Only a workspace being deleted whose final backup failed can be deleted without one.");
        }
        if (input.confirmName !== workspace.name) throw new AppError("invalid", `Type ${workspace.name} to confirm.`, "confirmName");
        changes.finalBackupSkippedAt = requestedAt;
        break;
      }
    }
    await tx.workspace.update({ where: { id: workspace.id }, data: { ...changes, desiredState } });
    await recordAudit(
      {
        action: AUDIT[operation],
        actorId: actor.id,
        targetType: "workspace",
        targetId: workspace.id,
        teamId: workspace.teamId,
        before,
        after: { ...after, desiredState, state, ...(changes.restartRequestedAt ? { restart: true } : {}) },
      },
      tx,
    );
  }, QUOTA_TRANSACTION);
  requestReconcile(input.workspaceId);
}

export type LockedWorkspace = Prisma.WorkspaceGetPayload<{ include: typeof lockedWorkspaceInclude }>;

/**
 * The newest version of the workspace's template and its parameters carried
 * over to it (new parameters take their defaults), so its resources, and with
 * them its quota use, stay as they are. Refuses, naming the setting, when that
 * version no longer accepts one of the workspace's values.
 */
async function latestVersionUpdate(tx: Prisma.TransactionClient, workspace: LockedWorkspace) {
  const template = workspace.templateVersion.template;
  const latest = await tx.templateVersion.findFirst({ where: { templateId: template.id }, orderBy: { version: "desc" } });
  if (!latest || latest.version <= workspace.templateVersion.version) {
    throw new AppError("conflict", `${workspace.name} already uses the latest version of ${template.name}.`);
  }
  if (template.archivedAt) throw new AppError("conflict", `${template.name} was archived; its versions can't be taken up any more.`);
  const current = workspace.parameters as unknown as WorkspaceParameters;
  const parsed = parametersSchema(templateSpec.parse(latest.spec)).safeParse(current);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError("invalid", `Version ${latest.version} of ${template.name} doesn't accept this workspace's settings: ${issue.message}.`);
  }
  const parameters: WorkspaceParameters = parsed.data;
  return {
    versionId: latest.id,
    templateName: template.name,
    fromVersion: workspace.templateVersion.version,
    toVersion: latest.version,
    parameters,
  };
}
