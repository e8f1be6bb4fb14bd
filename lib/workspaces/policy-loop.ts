import { recordAudit, type AuditAction } from "@/lib/audit";
import { getBackgroundDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { periodicPass, type PeriodicPass } from "@/lib/server/periodic-pass";
import { teamsToStopAtBudget } from "@/lib/quotas/budget";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { EventLevel } from "@/lib/generated/prisma/enums";
import {
  decideLifecycle,
  teamIdleCap,
  templateLifecycle,
  type DormancySettings,
  type PolicyDecision,
  type TemplateLifecycle,
  type WorkspaceFacts,
} from "./policies";
import { requestReconcile } from "./reconcile-trigger";

// Applies the lifecycle policies (lib/workspaces/policies.ts) on the leader:
// every pass loads the few workspaces that may need something done, through
// indexed queries, and for each one decides again under its row lock, with
// the facts as they are then (activity or a Start may have landed in
// between). A change is recorded like a user's operation: the desired state
// or dormancy fields, a workspace event and an audit entry (actor null: the
// system), in one transaction; the reconciler then does the stopping or
// deleting. A pass is idempotent: what it changed is no longer a candidate.

export type PolicyLoop = PeriodicPass<PolicyChange[]>;

export interface PolicyLoopOptions {
  /** The clock; tests pass a fake one. */
  now?: () => Date;
  intervalMs?: number;
  /** Default: PODSPACE_DORMANT_AFTER_DAYS and PODSPACE_DORMANT_DELETE_AFTER_DAYS. */
  dormancy?: DormancySettings;
  /** At most this many stopped or dormant workspaces per query per pass; the next pass takes the rest. */
  batchSize?: number;
}

export type PolicyChange = { workspaceId: string } & PolicyDecision;

const PASS_INTERVAL_MS = 60_000;
const BATCH_SIZE = 500;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Waits on a row a user's operation holds (quota checks queue on the team's lock for up to 30 s). */
const POLICY_TRANSACTION = { maxWait: 30_000, timeout: 15_000 } as const;

const FACTS = {
  id: true,
  teamId: true,
  templateVersionId: true,
  state: true,
  desiredState: true,
  stateChangedAt: true,
  lastActivityAt: true,
  startedAt: true,
  stoppedAt: true,
  dormantAt: true,
  deletionScheduledAt: true,
} satisfies Prisma.WorkspaceSelect;

type Candidate = Prisma.WorkspaceGetPayload<{ select: typeof FACTS }>;

const AUDIT: Record<PolicyDecision["action"], AuditAction> = {
  stop: "workspace.auto-stopped",
  "mark-dormant": "workspace.marked-dormant",
  "schedule-deletion": "workspace.deletion-scheduled",
  "cancel-deletion": "workspace.deletion-cancelled",
  delete: "workspace.auto-deleted",
};

/** The row change each decision makes. */
function changeFor(decision: PolicyDecision, now: Date): Prisma.WorkspaceUpdateInput {
  switch (decision.action) {
    case "stop":
      return { desiredState: "STOPPED" };
    case "delete":
      return { desiredState: "DELETED" };
    case "mark-dormant":
      return { dormantAt: now, deletionScheduledAt: decision.deletionScheduledAt };
    case "schedule-deletion":
      return { deletionScheduledAt: decision.deletionScheduledAt };
    case "cancel-deletion":
      return { deletionScheduledAt: null };
  }
}

function levelFor(decision: PolicyDecision): EventLevel {
  if (decision.action === "delete" || decision.action === "schedule-deletion") return "WARNING";
  if (decision.action === "mark-dormant" && decision.deletionScheduledAt) return "WARNING";
  return "INFO";
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

/** The lifecycle fields as audit and event data (JSON: dates as ISO strings). */
function snapshot(workspace: Pick<WorkspaceFacts, "state" | "desiredState" | "dormantAt" | "deletionScheduledAt">) {
  return {
    state: workspace.state,
    desiredState: workspace.desiredState,
    dormantAt: iso(workspace.dormantAt),
    deletionScheduledAt: iso(workspace.deletionScheduledAt),
  };
}

export function createPolicyLoop(options: PolicyLoopOptions = {}): PolicyLoop {
  const db = getBackgroundDb();
  const clock = options.now ?? (() => new Date());
  const dormancy: DormancySettings = options.dormancy ?? {
    dormantAfterDays: env.PODSPACE_DORMANT_AFTER_DAYS,
    deleteAfterDays: env.PODSPACE_DORMANT_DELETE_AFTER_DAYS ?? null,
  };
  const batchSize = options.batchSize ?? BATCH_SIZE;
  /** Template versions are immutable, so their settings are kept across passes. */
  const templates = new Map<string, TemplateLifecycle>();

  /** Workspaces that may need something done at `now`; decideLifecycle has the final word. */
  async function candidates(now: Date): Promise<Candidate[]> {
    const stoppedBefore = new Date(now.getTime() - dormancy.dormantAfterDays * DAY_MS);
    const batches = await Promise.all([
      // Idle and lifetime: every running workspace (index state, desiredState); running ones are few.
      // A warm pool's members wait idle by design; the refill loop deletes them when they are no longer wanted.
      db.workspace.findMany({ where: { state: "RUNNING", desiredState: "RUNNING", warmPoolId: null }, select: FACTS }),
      // Turning dormant (index state, dormantAt, stoppedAt).
      db.workspace.findMany({
        where: { state: "STOPPED", dormantAt: null, stoppedAt: { lte: stoppedBefore }, desiredState: "STOPPED" },
        select: FACTS,
        orderBy: { stoppedAt: "asc" },
        take: batchSize,
      }),
      // Deletion due, or (deletion turned off) schedules to cancel (index desiredState, deletionScheduledAt, …).
      db.workspace.findMany({
        where: { desiredState: "STOPPED", deletionScheduledAt: dormancy.deleteAfterDays === null ? { not: null } : { lte: now } },
        select: FACTS,
        orderBy: { deletionScheduledAt: "asc" },
        take: batchSize,
      }),
      // Deletion turned on after they became dormant: schedule it (index desiredState, deletionScheduledAt, dormantAt:
      // without dormantAt in it, this read every stopped workspace at every pass).
      dormancy.deleteAfterDays === null
        ? Promise.resolve([])
        : db.workspace.findMany({
            where: { desiredState: "STOPPED", deletionScheduledAt: null, dormantAt: { not: null } },
            select: FACTS,
            orderBy: { dormantAt: "asc" },
            take: batchSize,
          }),
    ]);
    const byId = new Map<string, Candidate>();
    for (const workspace of batches.flat()) byId.set(workspace.id, workspace);
    return [...byId.values()];
  }

  async function loadTemplates(versionIds: string[]) {
    const missing = [...new Set(versionIds)].filter((id) => !templates.has(id));
    if (missing.length === 0) return;
    const versions = await db.templateVersion.findMany({ where: { id: { in: missing } }, select: { id: true, spec: true } });
    for (const version of versions) templates.set(version.id, templateLifecycle(version.spec));
  }

  async function loadTeamCaps(teamIds: string[]): Promise<Map<string, number | null>> {
    const quotas = await db.teamQuota.findMany({
      where: { teamId: { in: [...new Set(teamIds)] }, maxIdleTimeoutMinutes: { not: null } },
      select: { teamId: true, maxIdleTimeoutMinutes: true },
    });
    const caps = new Map<string, number | null>();
    for (const teamId of new Set(quotas.map((quota) => quota.teamId))) {
      caps.set(teamId, teamIdleCap(quotas.filter((quota) => quota.teamId === teamId)));
    }
    return caps;
  }

  /** Decides again under the row lock and records the change; returns it, or null when there is none any more. */
  async function apply(workspaceId: string, decide: (facts: WorkspaceFacts) => PolicyDecision | null, now: Date): Promise<PolicyDecision | null> {
    return db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "Workspace" WHERE "id" = ${workspaceId} FOR UPDATE`;
      const workspace = await tx.workspace.findUnique({ where: { id: workspaceId }, select: FACTS });
      if (!workspace || workspace.state === "DELETED") return null;
      const decision = decide(workspace);
      if (!decision) return null;

      const updated = await tx.workspace.update({ where: { id: workspaceId }, data: changeFor(decision, now), select: FACTS });
      const after = snapshot(updated);
      await tx.workspaceEvent.create({
        data: {
          workspaceId,
          step: "policy",
          level: levelFor(decision),
          message: decision.message,
          data: { action: decision.action, reason: decision.reason, ...(after.deletionScheduledAt ? { deletionScheduledAt: after.deletionScheduledAt } : {}) },
        },
      });
      await recordAudit(
        {
          action: AUDIT[decision.action],
          actorId: null,
          targetType: "workspace",
          targetId: workspaceId,
          teamId: workspace.teamId,
          before: snapshot(workspace),
          after: { ...after, reason: decision.reason },
        },
        tx,
      );
      return decision;
    }, POLICY_TRANSACTION);
  }

  async function pass(): Promise<PolicyChange[]> {
    const now = clock();
    const found = await candidates(now);
    if (found.length === 0) return [];
    const running = found.filter((w) => w.desiredState === "RUNNING").map((w) => w.teamId);
    const [caps, overBudget] = await Promise.all([
      loadTeamCaps(found.map((w) => w.teamId)),
      teamsToStopAtBudget(running, now, db),
      loadTemplates(found.map((w) => w.templateVersionId)),
    ]);

    const changes: PolicyChange[] = [];
    for (const candidate of found) {
      const decide = (facts: WorkspaceFacts) =>
        decideLifecycle(
          facts,
          {
            template: templates.get(candidate.templateVersionId) ?? templateLifecycle(null),
            teamMaxIdleTimeoutMinutes: caps.get(candidate.teamId) ?? null,
            dormancy,
            stopAtBudget: overBudget.has(candidate.teamId),
          },
          now,
        );
      // Most running workspaces are nowhere near a deadline: no transaction for them.
      if (!decide(candidate)) continue;
      try {
        const decision = await apply(candidate.id, decide, now);
        if (!decision) continue;
        changes.push({ workspaceId: candidate.id, ...decision });
        if (decision.action === "stop" || decision.action === "delete") requestReconcile(candidate.id);
      } catch (error) {
        console.error(`podspace: applying lifecycle policies to workspace ${candidate.id} failed`, error);
      }
    }
    return changes;
  }

  return periodicPass("policy", pass, options.intervalMs ?? PASS_INTERVAL_MS);
}
