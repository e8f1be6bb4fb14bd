import { getDb } from "@/lib/db/client";
import { templateSpec } from "@/lib/templates/spec";
import { idleCountdown, teamIdleCap } from "./policies";

export interface LifecycleNotice {
  /** Whole minutes until the idle stop; null when it isn't running. */
  idleMinutesLeft: number | null;
  /** When a dormant workspace will be deleted with its home, unless started. */
  deletionScheduledAt: Date | null;
}

/** What the workspace page warns about: the coming idle stop, or a scheduled deletion. */
export async function lifecycleNotice(workspaceId: string, now = new Date()): Promise<LifecycleNotice> {
  const workspace = await getDb().workspace.findUniqueOrThrow({
    where: { id: workspaceId },
    include: { templateVersion: { select: { spec: true } }, team: { select: { quotas: { select: { maxIdleTimeoutMinutes: true } } } } },
  });
  const spec = templateSpec.parse(workspace.templateVersion.spec);
  return {
    idleMinutesLeft: idleCountdown(workspace, spec, teamIdleCap(workspace.team.quotas), now),
    deletionScheduledAt: workspace.deletionScheduledAt,
  };
}
