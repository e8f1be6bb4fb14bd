import { auditEntriesJson, currentAuditVia, type AuditAction, type AuditEntry } from "@/lib/audit";
import type { Actor } from "@/lib/authz";
import { requestBatcher, type BatchOutcome } from "@/lib/concurrency";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { QUOTA_TRANSACTION } from "@/lib/quotas/enforce";
import { budgetRange } from "@/lib/quotas/budget";
import { quotaLedger, uniqueMembers, type QuotaDecision, type QuotaState } from "@/lib/quotas/ledger";
import type { WorkspaceParameters } from "@/lib/templates/parameters";
import { utcTimestamp } from "@/lib/usage/meter";
import { assertMayOperate, beingDeleted } from "./operate-access";
import { requestReconciles } from "./reconcile-trigger";

// Start and Retry, decided in batches: the starts this process is asked for
// while its previous batch is under way are decided together, in one
// transaction with a fixed number of statements however many there are: one
// (a function in the database) locks the workspaces and their teams and reads
// the teams' quota state, then one updates the workspaces and records their
// audit entries (a retry's events take one more). A burst costs a few
// statements per batch instead of a dozen per start; alone, a start is a
// batch of one: BEGIN, two statements, COMMIT.
//
// Each start is decided in the order asked, against the quota state as the
// starts before it in the batch left it (lib/quotas/ledger.ts), so a batch
// admits exactly what the same starts one after another would. The database
// stays the arbiter between batches, in this process or another replica's
// (or of the two module graphs of one process, server.ts's and Next.js's,
// each with a batcher of its own): each batch holds its workspaces' and teams'
// row locks, taken in id order, until it commits. A start refused (quota,
// not found, forbidden, conflict) fails alone; one that breaks the whole
// transaction makes each of its batch be decided again on its own.

/**
 * A batch reads the quota state of every team in it (the month's budget is
 * a sum over each team's usage intervals), so bigger batches amortize that
 * better; a thousand starts' updates and audit entries still make a short
 * transaction.
 */
const MAX_BATCH = 1000;

const AUDIT = { start: "workspace.start-requested", retry: "workspace.retry-requested" } as const satisfies Record<string, AuditAction>;

export type StartOperation = keyof typeof AUDIT;

interface StartRequest {
  actor: Actor;
  workspaceId: string;
  operation: StartOperation;
  /** When it was asked: a start's time budget counts the wait for the batch and the locks too. */
  requestedAt: Date;
  /** How the actor acted (withAuditVia), which the batch's own context doesn't know. */
  via: string | null;
}

export type StartWorkspace = (actor: Actor, workspaceId: string, operation: StartOperation, requestedAt?: Date) => Promise<void>;

/**
 * A process's starts through `db` (a test's second one stands for another
 * replica): each call records that the actor wants the workspace running (a
 * retry: a failed one, again), if its team's quota allows; the reconciler
 * starts it.
 */
export function startBatcher(db: () => PrismaClient): StartWorkspace {
  const starts = requestBatcher<StartRequest, void>(MAX_BATCH, (requests) => startBatch(db(), requests));
  return (actor, workspaceId, operation, requestedAt = new Date()) => starts.submit({ actor, workspaceId, operation, requestedAt, via: currentAuditVia() });
}

/** This process's starts, through the pages' pool. */
export const startWorkspace = startBatcher(getDb);

/** A workspace of the batch, as locked, and then as its starts leave it. */
interface Locked {
  id: string;
  teamId: string;
  teamSlug: string;
  ownerId: string;
  state: WorkspaceState;
  desiredState: DesiredState;
  parameters: WorkspaceParameters;
  changes?: { startRequestedAt: Date | null; stateChangedAt: Date | null; wakes: boolean };
}

async function startBatch(db: PrismaClient, requests: readonly StartRequest[]): Promise<Array<BatchOutcome<void>>> {
  const { outcomes, started } = await db.$transaction((tx) => decideAndRecord(tx, requests), QUOTA_TRANSACTION);
  requestReconciles(started);
  return outcomes;
}

async function decideAndRecord(tx: Prisma.TransactionClient, requests: readonly StartRequest[]) {
  const ids = [...new Set(requests.map((request) => request.workspaceId))].sort();
  // One statement (the database's Workspace_lock_starts): the workspaces, locked in id order as every batch
  // locks them, so batches that share workspaces don't deadlock; then the quota state of those to decide.
  const { from, until } = budgetRange(new Date());
  const [row] = await tx.$queryRaw<Array<{ locked: { workspaces: Locked[]; quota: QuotaState | null } }>>`
    SELECT "Workspace_lock_starts"(${ids}::text[], ${from}::timestamp, ${until}::timestamp) AS locked`;
  const { workspaces: rows, quota } = row!.locked;
  const workspaces = new Map(rows.map((workspace) => [workspace.id, workspace]));
  const decision = (workspace: Locked): QuotaDecision => ({
    team: { id: workspace.teamId, slug: workspace.teamSlug },
    ownerId: workspace.ownerId,
    // Its own resources don't count yet, as it isn't meant to run.
    request: { creates: false, runs: true, cpu: workspace.parameters.cpu, memoryGiB: workspace.parameters.memoryGiB, addedDiskGiB: 0 },
  });
  const ledger = quota ? quotaLedger(quota, uniqueMembers(rows.filter((workspace) => workspace.desiredState !== "RUNNING").map(decision))) : null;

  const now = new Date();
  const outcomes: Array<BatchOutcome<void>> = [];
  const events: Prisma.WorkspaceEventCreateManyInput[] = [];
  const audits: AuditEntry[] = [];
  const started = new Set<string>();
  for (const request of requests) {
    const workspace = workspaces.get(request.workspaceId);
    try {
      assertMayOperate(request.actor, workspace);
      if (workspace.desiredState === "DELETED") throw beingDeleted();
      if (request.operation === "retry" && workspace.state !== "FAILED") throw new AppError("conflict", "Only a failed workspace can be retried.");
      if (workspace.desiredState !== "RUNNING") ledger!.admit(decision(workspace));
      const before = { desiredState: workspace.desiredState, state: workspace.state };
      const state: WorkspaceState = workspace.state === "FAILED" ? "PENDING" : workspace.state;
      const changes = (workspace.changes ??= { startRequestedAt: null, stateChangedAt: null, wakes: false });
      if (workspace.desiredState !== "RUNNING" || workspace.state === "FAILED") changes.startRequestedAt = request.requestedAt;
      // Starting a dormant workspace wakes it: no longer dormant, and any scheduled deletion is cancelled.
      if (workspace.desiredState !== "RUNNING") changes.wakes = true;
      if (state !== workspace.state) {
        changes.stateChangedAt = now;
        events.push({ workspaceId: workspace.id, step: "state", message: "Retrying", data: { from: workspace.state, to: state } });
      }
      workspace.desiredState = "RUNNING";
      workspace.state = state;
      audits.push({
        action: AUDIT[request.operation],
        actorId: request.actor.id,
        targetType: "workspace",
        targetId: workspace.id,
        teamId: workspace.teamId,
        before,
        after: { desiredState: workspace.desiredState, state },
        via: request.via,
      });
      started.add(workspace.id);
      outcomes.push({ ok: true, value: undefined });
    } catch (error) {
      outcomes.push({ ok: false, error });
    }
  }

  if (events.length > 0) await tx.workspaceEvent.createMany({ data: events });
  // Every admitted start changed its workspace and has an audit entry: both written in one statement (the database's Workspace_record_starts).
  const changed = rows.filter((workspace) => workspace.changes);
  if (changed.length > 0) {
    const changes = changed.map(({ id, state, changes }) => ({ id, state, ...changes }));
    await tx.$executeRaw`
      SELECT "Workspace_record_starts"(${JSON.stringify(changes)}::jsonb, ${auditEntriesJson(audits, now)}::jsonb, ${utcTimestamp(now)})`;
  }
  return { outcomes, started: [...started] };
}
