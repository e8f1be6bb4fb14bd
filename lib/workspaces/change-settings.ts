import { recordAudit } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { QUOTA_TRANSACTION, assertWithinQuota } from "@/lib/quotas/enforce";
import { assertKnownParameters, changedImmutableParameters, parametersSchema, type WorkspaceParameters } from "@/lib/templates/parameters";
import { templateSpec } from "@/lib/templates/spec";
import { lockWorkspaceToOperate } from "./operate-workspace";
import { requestReconcile } from "./reconcile-trigger";

// Changing a workspace's CPU, memory and mutable parameters after create,
// within its template version's rules and the team's quota. Disk is fixed:
// the home volume is sized once. A running workspace restarts to apply them.

export interface ChangeSettingsInput {
  workspaceId: string;
  /** Checked against the workspace's template version, like create's. */
  parameters: unknown;
}

export interface ChangeSettingsResult {
  changed: string[];
  /** Whether it restarts to apply them. */
  restarts: boolean;
}

export async function changeWorkspaceSettings(actor: Actor, input: ChangeSettingsInput): Promise<ChangeSettingsResult> {
  const result = await getDb().$transaction(async (tx) => {
    const workspace = await lockWorkspaceToOperate(tx, actor, input.workspaceId);
    if (workspace.desiredState === "DELETED") throw new AppError("conflict", "This workspace is being deleted.");
    const spec = templateSpec.parse(workspace.templateVersion.spec);
    const before = workspace.parameters as unknown as WorkspaceParameters;

    assertKnownParameters(spec, input.parameters);
    const parsed = parametersSchema(spec).safeParse(input.parameters ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError("invalid", issue.message, ["parameters", ...issue.path].join("."));
    }
    const after: WorkspaceParameters = parsed.data;
    if (after.diskGiB !== before.diskGiB) {
      throw new AppError("invalid", `The home volume's size is fixed at ${before.diskGiB} GiB.`, "parameters.diskGiB");
    }
    const [immutable] = changedImmutableParameters(spec, before, after);
    if (immutable) {
      const label = spec.parameters.find((parameter) => parameter.name === immutable)?.label ?? immutable;
      throw new AppError("invalid", `${label} can't be changed after the workspace is created.`, `parameters.values.${immutable}`);
    }
    const changed = changedSettings(spec.parameters, before, after);
    if (changed.length === 0) throw new AppError("conflict", "Nothing changed.");

    const running = workspace.desiredState === "RUNNING";
    const now = new Date();
    await tx.workspace.update({
      where: { id: workspace.id },
      data: { parameters: after as unknown as Prisma.InputJsonValue, ...(running ? { restartRequestedAt: now, startRequestedAt: now } : {}) },
    });
    // Checked with the row already holding the new resources, so the team's usage counts them.
    if (running && (after.cpu > before.cpu || after.memoryGiB > before.memoryGiB)) {
      await assertWithinQuota(tx, workspace.team, workspace.ownerId, { creates: false, runs: false, cpu: 0, memoryGiB: 0, addedDiskGiB: 0 });
    }
    await tx.workspaceEvent.create({
      data: { workspaceId: workspace.id, step: "state", message: `Settings changed: ${changed.join(", ")}${running ? "; restarting" : ""}` },
    });
    await recordAudit(
      {
        action: "workspace.settings-changed",
        actorId: actor.id,
        targetType: "workspace",
        targetId: workspace.id,
        teamId: workspace.teamId,
        before: before as unknown as Prisma.InputJsonValue,
        after: after as unknown as Prisma.InputJsonValue,
      },
      tx,
    );
    return { changed, restarts: running };
  }, QUOTA_TRANSACTION);
  requestReconcile(input.workspaceId);
  return result;
}

/** "CPU 1 → 2", "Editor vim → nano": what differs, in words. */
function changedSettings(parameters: { name: string; label: string }[], before: WorkspaceParameters, after: WorkspaceParameters): string[] {
  const lines: string[] = [];
  if (before.cpu !== after.cpu) lines.push(`CPU ${before.cpu} → ${after.cpu}`);
  if (before.memoryGiB !== after.memoryGiB) lines.push(`memory ${before.memoryGiB} → ${after.memoryGiB} GiB`);
  for (const parameter of parameters) {
    const [from, to] = [before.values[parameter.name], after.values[parameter.name]];
    if (from !== to) lines.push(`${parameter.label} ${String(from ?? "unset")} → ${String(to)}`);
  }
  return lines;
}
