import { backUpBeforeDelete } from "@/lib/backups/backup-before-delete";
import { wakeBackups } from "@/lib/backups/backup-trigger";
import { restoreInto } from "@/lib/backups/backup-workspace";
import { enqueueBackup } from "@/lib/backups/queue";
import { isRepositoryLocked } from "@/lib/backups/restic";
import { backupStore } from "@/lib/backups/store";
import { coalescingRunner, forEachConcurrently, keyedBatcher } from "@/lib/concurrency";
import { getBackgroundDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { isDatabaseUnavailable } from "@/lib/errors";
import type { WorkspaceState } from "@/lib/generated/prisma/enums";
import type { Prisma } from "@/lib/generated/prisma/client";
import { logger } from "@/lib/observability/logger";
import { metrics } from "@/lib/observability/metrics";
import { teamSpaceLimits } from "@/lib/quotas/team-space";
import { holdsCompute, RuntimeError, SELF_HEALING_FAILURES, type ObservedStatus, type RuntimeEvent, type WorkspaceRuntime, type WorkspaceSpec } from "@/lib/runtime/types";
import { periodicPass } from "@/lib/server/periodic-pass";
import { workspacesToReconcile } from "./reconcile-candidates";
import type { WakeupSource } from "./reconcile-wakeups";
import { BackoffTimers } from "./backoff-timers";
import { runtimeSpecInclude, toRuntimeSpec } from "./runtime-spec";
import { canTransition, transition, type TransitionOptions } from "./state-machine";

// Converges what users asked for (desiredState) with what the runtime has
// (observed state). It is the only code that calls the runtime's lifecycle
// methods, and it runs on one replica at a time (see lib/server/leader.ts).
// Every step is idempotent, so after a crash mid-provision the next pass
// picks up where the last one stopped: nothing is orphaned, nothing sticks.
//
// It acts when something points at a workspace: a user's change (in this
// process, or from another replica as a PostgreSQL notification:
// reconcile-wakeups.ts), a runtime event (runtime.watch: a start's progress,
// a crash, a pod deleted out of band, the IDE ready) whose status differs
// from the database's, or a retry coming due.
// A periodic pass is the safety net for whatever that misses, and looks only
// at what differs between the database and the runtime
// (reconcile-candidates.ts), so its cost follows what changed, not the size
// of the fleet. It comes every 30 s, not more often, because little relies
// on it: the Kubernetes runtime's watch reports every pod change, re-listing
// after a dropped watch, and the local runtime reports the exit of every
// process it started. What it leaves to the pass: a local workspace started
// by an earlier Podspace process that dies (nobody waits on its exit any
// more), a notification lost to a replica's crash between its commit and its
// NOTIFY, and changes made straight in the database. A pass also runs when
// leadership is taken and whenever the wake-ups' connection is back.
//
// All of it goes through one queue: a few workspaces at a time
// (CONCURRENCY), one reconcile per workspace at a time, and the requests that
// pile up for a workspace while its reconcile runs make one more, not one
// each. A failure of the database or the runtime's API is never the
// workspace's: the workspace is left as it is and tried again as soon as its
// backoff is over (backoff-timers.ts), not at the next pass. A workspace left
// waiting on its runtime (starting) is checked again on a backoff of its own
// until it gets there, so one lost runtime event costs seconds, not a pass.

export interface Reconciler {
  /** Converges one workspace now, after its reconcile under way if any; requests made before that next run begins share it. */
  reconcile(workspaceId: string): Promise<void>;
  /** One pass: converges every workspace whose desired and observed states differ (after any pass already running). */
  reconcileAll(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

const PASS_INTERVAL_MS = 30_000;
/**
 * Workspaces reconciled at once, whatever asked: each holds at most one
 * database connection at a time, so as many as the background pool has.
 * (The other loops share that pool: a move that can't get a connection
 * within Prisma's 2 s is an infrastructure failure, retried once its backoff
 * is over.)
 */
const CONCURRENCY = env.PODSPACE_DB_BACKGROUND_POOL_SIZE;
const RETRY_DELAY_MS = 10_000;
const MAX_RETRY_DELAY_MS = 5 * 60_000;
const RECHECK_DELAY_MS = 2_000;
const MAX_RECHECK_DELAY_MS = PASS_INTERVAL_MS;

export interface ReconcilerOptions {
  /** Between periodic passes, the safety net. */
  intervalMs?: number;
  /** The wait after a workspace's first infrastructure failure; it doubles with each failure in a row. */
  retryDelayMs?: number;
  /** Wake-ups from the replicas that aren't the leader, heard while started (reconcile-wakeups.ts). */
  wakeups?: WakeupSource;
}

/** Where a reconcile left the workspace: at its desired state (or failed), or waiting on the runtime to get there. */
type Outcome = "settled" | "waiting";

/**
 * Moves the workspace through the lifecycle from `state`; a move to the state
 * it is already in writes nothing. `alongside` writes what goes with the move,
 * in its transaction.
 */
type Move = (to: WorkspaceState, options: TransitionOptions, alongside?: (tx: Prisma.TransactionClient) => Promise<unknown>) => Promise<void>;

/** The runtime says the workspace itself can't run (quota, invalid spec, …), as opposed to the runtime's API being unavailable. */
const isWorkspaceFailure = (error: unknown): error is RuntimeError => error instanceof RuntimeError && error.code !== "unavailable";
const isInfrastructureFailure = (error: unknown) =>
  (error instanceof RuntimeError && error.code === "unavailable") || isDatabaseUnavailable(error);

export function createReconciler(runtime: WorkspaceRuntime, options: ReconcilerOptions = {}): Reconciler {
  const db = getBackgroundDb();
  const intervalMs = options.intervalMs ?? PASS_INTERVAL_MS;
  const queue = coalescingRunner(CONCURRENCY, reconcileNow);
  /** When each workspace's previous progress step ended, to time the next one. */
  const lastStepAt = new Map<string, number>();
  let started = false;
  // A reconciler that isn't started does only what it is asked.
  const onDue = (workspaceId: string) => {
    if (started) void reconcile(workspaceId);
  };
  const backoff = new BackoffTimers({ firstDelayMs: options.retryDelayMs ?? RETRY_DELAY_MS, maxDelayMs: MAX_RETRY_DELAY_MS, onDue });
  const recheck = new BackoffTimers({ firstDelayMs: RECHECK_DELAY_MS, maxDelayMs: MAX_RECHECK_DELAY_MS, onDue });
  let unwatch: (() => void) | undefined;
  let stopWakeups: (() => Promise<void>) | undefined;

  function mover(workspaceId: string, from: WorkspaceState): Move {
    let state = from;
    return async (to, transitionOptions, alongside) => {
      if (state === to) return;
      await db.$transaction(async (tx) => {
        if (await transition(tx, workspaceId, to, transitionOptions)) await alongside?.(tx);
      });
      state = to;
    };
  }

  /**
   * A failure the runtime reports about the workspace itself fails it, with
   * its reason. Anything else (the database or the runtime's API down or
   * overloaded, or a bug) leaves the workspace and its events alone and
   * retries it on a later pass.
   */
  async function onFailure(workspaceId: string, error: unknown) {
    metrics.reconcileErrors.inc();
    if (!isWorkspaceFailure(error)) return retryLater(workspaceId, error);
    try {
      await db.$transaction((tx) => transition(tx, workspaceId, "FAILED", { message: error.message, reason: error.code }));
      backoff.cancel(workspaceId);
    } catch (failure) {
      retryLater(workspaceId, failure);
    }
  }

  function retryLater(workspaceId: string, error: unknown) {
    const { delayMs: retryInMs, times: failures } = backoff.schedule(workspaceId);
    const infrastructure = isInfrastructureFailure(error);
    logger[infrastructure ? "warn" : "error"](
      { err: error, workspaceId, retryInMs },
      infrastructure ? "reconciling a workspace failed on infrastructure; retrying later" : "reconciling a workspace failed unexpectedly; retrying later",
    );
    // The runtime's reason (its API down, a permission missing) is the
    // workspace's owner's to see, once per outage, while the state stays. A
    // database that is down can't take the note; the log has it.
    if (failures === 1 && error instanceof RuntimeError && error.code === "unavailable") {
      void db.workspaceEvent
        .create({ data: { workspaceId, step: "state", level: "WARNING", message: `${error.message} Podspace keeps trying.` } })
        .catch(() => {});
    }
  }

  async function prepareTeam(spec: WorkspaceSpec, teamId: string) {
    await runtime.prepareTeam({ slug: spec.teamSlug, limits: await teamSpaceLimits(teamId, db) });
  }

  /**
   * Hands a start to the runtime and records the step that ends it,
   * "submitted", timed from the request (its quota decision and its wait in
   * the queue included): the first line of the start's time budget. The
   * runtime's steps are timed from here on.
   */
  async function submit(workspace: { id: string; startRequestedAt: Date | null; stateChangedAt: Date }, start: () => Promise<void>) {
    const requestedAt = (workspace.startRequestedAt ?? workspace.stateChangedAt).getTime();
    lastStepAt.set(workspace.id, requestedAt);
    await start();
    const now = Date.now();
    // A runtime step reported while the start was being submitted (a fast watch) has moved the clock on already.
    if (lastStepAt.get(workspace.id) === requestedAt) lastStepAt.set(workspace.id, now);
    metrics.startStepDuration.observe({ step: "submitted" }, (now - requestedAt) / 1000);
    await db.workspaceEvent
      .create({ data: { workspaceId: workspace.id, step: "submitted", message: runtime.kind === "kubernetes" ? "Pod submitted to Kubernetes" : "Sandbox launched", durationMs: now - requestedAt } })
      .catch(() => {});
  }

  /** Moves a workspace that should run toward RUNNING, given what the runtime reports. */
  /**
   * A workspace created from a backup gets its home restored before its first
   * start (and again, over a partial one, after a failed attempt). A restore
   * that fails fails the workspace with restic's reason; Retry tries again.
   * One that found the repository locked (the backup loop's check or prune)
   * is tried again with backoff, as an infrastructure failure.
   */
  async function restoreIfAsked(workspace: { id: string; restoreFromId: string | null; restoredAt: Date | null }) {
    if (!workspace.restoreFromId || workspace.restoredAt) return;
    try {
      await restoreInto(workspace.id, workspace.restoreFromId, { db, runtime });
    } catch (error) {
      if (isInfrastructureFailure(error)) throw error;
      if (isRepositoryLocked(error)) throw new RuntimeError("unavailable", "The team's backup repository is being checked or pruned; the restore waits for that.", { cause: error });
      throw new RuntimeError("invalid", error instanceof Error ? error.message : String(error));
    }
  }

  async function converge(
    workspace: { id: string; teamId: string; state: WorkspaceState; stateChangedAt: Date; startRequestedAt: Date | null; restoreFromId: string | null; restoredAt: Date | null },
    spec: WorkspaceSpec,
    observed: ObservedStatus,
  ): Promise<Outcome> {
    const { id: workspaceId, teamId, state } = workspace;
    const move = mover(workspaceId, state);
    const starting = () => move("STARTING", { message: "Starting" });
    switch (observed.state) {
      case "running":
        if (state === "RUNNING") return "settled";
        await starting();
        await move("RUNNING", { message: "Running" });
        if (state === "STARTING") metrics.startDuration.observe((Date.now() - workspace.stateChangedAt.getTime()) / 1000);
        return "settled";
      case "starting":
        // A running IDE that stops answering for a moment stays RUNNING.
        if (state === "RUNNING") return "settled";
        await starting();
        return "waiting";
      case "failed":
        if (state !== "PENDING") {
          await move("FAILED", { message: observed.message, reason: observed.reason });
          return "settled";
        }
        // A retry: clear what is left of the failed attempt, then start afresh.
        await runtime.stop(spec);
        await starting();
        await submit(workspace, async () => {
          await restoreIfAsked(workspace);
          await runtime.start(spec);
        });
        return "waiting";
      case "absent":
        await starting();
        await submit(workspace, async () => {
          await prepareTeam(spec, teamId);
          await runtime.provision(spec);
          await restoreIfAsked(workspace);
          await runtime.start(spec);
        });
        return "waiting";
      case "stopped":
        await starting();
        await submit(workspace, async () => {
          // The team's quota may have changed since the namespace was prepared.
          await prepareTeam(spec, teamId);
          await restoreIfAsked(workspace);
          await runtime.start(spec);
        });
        return "waiting";
    }
  }

  /**
   * The first half of a restart: stops the workspace and clears the request it
   * serves, in one transaction with the move to STOPPED, so a crash in between
   * repeats the stop (idempotent) instead of skipping the start. Returns the
   * state to converge from.
   */
  async function stopForRestart(workspaceId: string, state: WorkspaceState, spec: WorkspaceSpec, requestedAt: Date): Promise<WorkspaceState> {
    const holdsRuntime = state === "RUNNING" || state === "STARTING" || state === "STOPPING";
    if (holdsRuntime) await mover(workspaceId, state)("STOPPING", { message: "Restarting: stopping; the home volume is kept" });
    const observed = await runtime.status(spec);
    if (observed.state === "running" || observed.state === "starting") await runtime.stop(spec);
    await db.$transaction(async (tx) => {
      if (holdsRuntime) await transition(tx, workspaceId, "STOPPED", { message: "Stopped for the restart" });
      // Only the request served: a Restart clicked meanwhile restarts it once more.
      await tx.workspace.updateMany({ where: { id: workspaceId, restartRequestedAt: requestedAt }, data: { restartRequestedAt: null } });
    });
    return holdsRuntime ? "STOPPED" : state;
  }

  /** Takes the workspace toward its desired state; throws whatever stopped it. */
  async function reconcileOrThrow(workspaceId: string): Promise<Outcome> {
    const workspace = await db.workspace.findUnique({ where: { id: workspaceId }, include: runtimeSpecInclude });
    if (!workspace || workspace.state === "DELETED") return "settled";
    const spec = toRuntimeSpec(workspace);
    const move = mover(workspaceId, workspace.state);
    switch (workspace.desiredState) {
      case "DELETED":
        await move("DELETING", { message: "Deleting the workspace and its home volume" });
        // Stopped first: it holds no compute while it waits for its final
        // backup, and the backup sees a home nothing writes to any more.
        if (holdsCompute((await runtime.status(spec)).state)) await runtime.stop(spec);
        // Backups: nothing written since the last backup goes with the home. A
        // failed backup throws an infrastructure failure: the workspace stays
        // DELETING, its home kept, and is tried again with backoff.
        await backUpBeforeDelete(workspace, spec, { db, runtime });
        await runtime.destroy(spec);
        await move("DELETED", { message: "Deleted" });
        return "settled";
      case "STOPPED": {
        // A failed workspace is stopped too, clearing what is left of it (a crashed pod, a process record).
        const heldCompute = holdsCompute((await runtime.status(spec)).state);
        if (heldCompute) {
          // A workspace already recorded as stopped (or never started) is stopped without a detour through STOPPING.
          if (canTransition(workspace.state, "STOPPING")) await move("STOPPING", { message: "Stopping; the home volume is kept" });
          await runtime.stop(spec);
        }
        // Backups: a workspace that ran is backed up once stopped (not a warm
        // pool's unclaimed member: nobody's work). Queued with the move, so a
        // crash can't stop it without its backup; the backup loop takes it.
        const backUp = heldCompute && !workspace.warmPoolId && backupStore() !== null;
        await move("STOPPED", { message: "Stopped" }, backUp ? (tx) => enqueueBackup(tx, { workspaceId, teamId: workspace.teamId, reason: "STOP" }) : undefined);
        if (backUp) wakeBackups();
        return "settled";
      }
      case "RUNNING": {
        // A failed start waits for the user's retry instead of looping, unless the cluster got past it by itself.
        if (workspace.state === "FAILED") {
          if (!SELF_HEALING_FAILURES.some((reason) => reason === workspace.stateReason)) return "settled";
          const observed = await runtime.status(spec);
          return observed.state === "running" ? converge(workspace, spec, observed) : "settled";
        }
        if (workspace.restartRequestedAt) {
          const state = await stopForRestart(workspaceId, workspace.state, spec, workspace.restartRequestedAt);
          return converge({ ...workspace, state, stateChangedAt: new Date() }, spec, await runtime.status(spec));
        }
        return converge(workspace, spec, await runtime.status(spec));
      }
    }
  }

  async function reconcileNow(workspaceId: string) {
    try {
      const outcome = await reconcileOrThrow(workspaceId);
      backoff.cancel(workspaceId);
      if (outcome === "waiting") recheck.schedule(workspaceId);
      else recheck.cancel(workspaceId);
    } catch (error) {
      await onFailure(workspaceId, error).catch((failure: unknown) => logger.error({ err: failure, workspaceId }, "recording a reconcile failure failed"));
    }
  }

  function reconcile(workspaceId: string): Promise<void> {
    return queue.request(workspaceId);
  }

  async function pass() {
    // The runtime's side first, in one call: what it runs that the database may not know about.
    const listed = await runtime.listActive();
    const now = Date.now();
    const due = (await workspacesToReconcile(db, listed)).filter((workspaceId) => backoff.due(workspaceId, now));
    // A few at a time into the queue, so that a user's request waits for a free slot, not for the whole pass.
    await forEachConcurrently(due, CONCURRENCY, reconcile);
  }

  const loop = periodicPass(
    "reconcile",
    () =>
      pass().catch((error: unknown) => {
        metrics.reconcileErrors.inc();
        throw error;
      }),
    intervalMs,
  );

  /**
   * Runtime statuses to compare with the database, a burst at a time: the
   * Kubernetes watch reports every workspace with a pod or volume when it
   * starts, and one query picks the few that need a reconcile instead of a
   * reconcile (a read and an API call) each. A failed check leaves them to
   * the next pass, which compares the same with the runtime's list.
   */
  const reported = keyedBatcher<ObservedStatus>(async (statuses) => {
    try {
      for (const workspaceId of await workspacesToReconcile(db, statuses, [...statuses.keys()])) void reconcile(workspaceId);
    } catch (error) {
      metrics.reconcileErrors.inc();
      logger.warn({ err: error, workspaces: statuses.size }, "checking runtime events against the database failed; the next reconcile pass covers them");
    }
  });

  async function record(event: RuntimeEvent) {
    const workspaceId = event.workspaceId;
    if (event.type === "progress" && event.warning) {
      // Not a step of its own: no timing.
      await db.workspaceEvent.create({ data: { workspaceId, step: event.step, level: "WARNING", message: event.message } }).catch(() => {});
      return;
    }
    if (event.type === "progress") {
      const now = Date.now();
      const since = lastStepAt.get(workspaceId);
      lastStepAt.set(workspaceId, now);
      if (since !== undefined) metrics.startStepDuration.observe({ step: event.step }, (now - since) / 1000);
      await db.workspaceEvent
        .create({ data: { workspaceId, step: event.step, message: event.message, durationMs: since === undefined ? null : now - since } })
        // The workspace may be gone already (an event racing its deletion).
        .catch(() => {});
      return;
    }
    // The runtime changed on its own (a crash, a pod deleted out of band, the
    // IDE becoming ready): converge from its truth, if it differs from the database's.
    if (event.status.state === "failed" && event.status.reason === "deleted") {
      await db.workspaceEvent.create({ data: { workspaceId, step: "state", level: "WARNING", message: event.status.message } }).catch(() => {});
    }
    reported.add(workspaceId, event.status);
  }

  return {
    reconcile,
    reconcileAll: loop.runOnce,
    start() {
      started = true;
      unwatch = runtime.watch((event) => void record(event).catch((error: unknown) => console.error("podspace: recording a runtime event failed", error)));
      stopWakeups = options.wakeups?.({
        onWakeup: (workspaceId) => void reconcile(workspaceId),
        onListening: () => void loop.runOnce().catch((error: unknown) => logger.error({ err: error }, "reconcile pass failed")),
      });
      loop.start();
    },
    async stop() {
      started = false;
      await stopWakeups?.();
      await loop.stop();
      unwatch?.();
      await reported.settled();
      backoff.clear();
      recheck.clear();
      await queue.settled();
    },
  };
}
