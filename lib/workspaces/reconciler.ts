import { getDb } from "@/lib/db/client";
import { forgetLoop, metrics, recordLoopPass } from "@/lib/observability/metrics";
import type { WorkspaceState } from "@/lib/generated/prisma/enums";
import { teamSpaceLimits } from "@/lib/quotas/team-space";
import { RuntimeError, type ObservedStatus, type RuntimeEvent, type WorkspaceRuntime, type WorkspaceSpec } from "@/lib/runtime/types";
import { runtimeSpecInclude, toRuntimeSpec } from "./runtime-spec";
import { transition, type TransitionOptions } from "./state-machine";

// Converges what users asked for (desiredState) with what the runtime has
// (observed state). It is the only code that calls the runtime's lifecycle
// methods, and it runs on one replica at a time (see lib/server/leader.ts).
// Every step is idempotent, so after a crash mid-provision the next pass
// picks up where the last one stopped: nothing is orphaned, nothing sticks.

export interface Reconciler {
  /** Converges one workspace now (serialized with any pass already running for it). */
  reconcile(workspaceId: string): Promise<void>;
  /** Converges every workspace that may need it. */
  reconcileAll(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

const PASS_INTERVAL_MS = 10_000;

export function createReconciler(runtime: WorkspaceRuntime, options: { intervalMs?: number } = {}): Reconciler {
  const db = getDb();
  const chains = new Map<string, Promise<void>>();
  /** When each workspace's previous progress step ended, to time the next one. */
  const lastStepAt = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let unwatch: (() => void) | undefined;

  const move = (workspaceId: string, to: WorkspaceState, transitionOptions: TransitionOptions) =>
    db.$transaction((tx) => transition(tx, workspaceId, to, transitionOptions));

  async function fail(workspaceId: string, error: unknown) {
    metrics.reconcileErrors.inc();
    const runtimeError = error instanceof RuntimeError ? error : null;
    if (!runtimeError) console.error(`podspace: reconciling workspace ${workspaceId} failed`, error);
    await move(workspaceId, "FAILED", {
      message: runtimeError?.message ?? "Podspace could not reach the workspace runtime. Retry, or tell your platform team.",
      reason: runtimeError?.code ?? "internal",
    });
  }

  async function prepareTeam(spec: WorkspaceSpec, teamId: string) {
    await runtime.prepareTeam({ slug: spec.teamSlug, limits: await teamSpaceLimits(teamId, db) });
  }

  /** Moves a workspace that should run toward RUNNING, given what the runtime reports. */
  async function converge(
    workspace: { id: string; teamId: string; state: WorkspaceState; stateChangedAt: Date },
    spec: WorkspaceSpec,
    observed: ObservedStatus,
  ) {
    const { id: workspaceId, teamId, state } = workspace;
    const starting = () => move(workspaceId, "STARTING", { message: "Starting" });
    switch (observed.state) {
      case "running":
        if (state === "RUNNING") return;
        if (state !== "STARTING") await starting();
        await move(workspaceId, "RUNNING", { message: "Running" });
        if (state === "STARTING") metrics.startDuration.observe((Date.now() - workspace.stateChangedAt.getTime()) / 1000);
        return;
      case "starting":
        // A running IDE that stops answering for a moment stays RUNNING.
        if (state !== "RUNNING") await starting();
        return;
      case "failed":
        if (state !== "PENDING") {
          await move(workspaceId, "FAILED", { message: observed.message, reason: observed.reason });
          return;
        }
        // A retry: clear what is left of the failed attempt, then start afresh.
        await runtime.stop(spec);
        await starting();
        lastStepAt.set(workspaceId, Date.now());
        await runtime.start(spec);
        return;
      case "absent":
        await starting();
        lastStepAt.set(workspaceId, Date.now());
        await prepareTeam(spec, teamId);
        await runtime.provision(spec);
        await runtime.start(spec);
        return;
      case "stopped":
        await starting();
        lastStepAt.set(workspaceId, Date.now());
        // The team's quota may have changed since the namespace was prepared.
        await prepareTeam(spec, teamId);
        await runtime.start(spec);
        return;
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
    if (holdsRuntime) await move(workspaceId, "STOPPING", { message: "Restarting: stopping; the home volume is kept" });
    const observed = await runtime.status(spec);
    if (observed.state === "running" || observed.state === "starting") await runtime.stop(spec);
    await db.$transaction(async (tx) => {
      if (holdsRuntime) await transition(tx, workspaceId, "STOPPED", { message: "Stopped for the restart" });
      // Only the request served: a Restart clicked meanwhile restarts it once more.
      await tx.workspace.updateMany({ where: { id: workspaceId, restartRequestedAt: requestedAt }, data: { restartRequestedAt: null } });
    });
    return holdsRuntime ? "STOPPED" : state;
  }

  async function reconcileNow(workspaceId: string) {
    const workspace = await db.workspace.findUnique({ where: { id: workspaceId }, include: runtimeSpecInclude });
    if (!workspace || workspace.state === "DELETED") return;
    const spec = toRuntimeSpec(workspace);
    try {
      switch (workspace.desiredState) {
        case "DELETED":
          await move(workspaceId, "DELETING", { message: "Deleting the workspace and its home volume" });
          await runtime.destroy(spec);
          await move(workspaceId, "DELETED", { message: "Deleted" });
          return;
        case "STOPPED": {
          const observed = await runtime.status(spec);
          if (observed.state === "running" || observed.state === "starting") {
            await move(workspaceId, "STOPPING", { message: "Stopping; the home volume is kept" });
            await runtime.stop(spec);
          }
          await move(workspaceId, "STOPPED", { message: "Stopped" });
          return;
        }
        case "RUNNING": {
          // A failed start waits for the user's retry instead of looping.
          if (workspace.state === "FAILED") return;
          if (workspace.restartRequestedAt) {
            const state = await stopForRestart(workspaceId, workspace.state, spec, workspace.restartRequestedAt);
            await converge({ ...workspace, state, stateChangedAt: new Date() }, spec, await runtime.status(spec));
            return;
          }
          await converge(workspace, spec, await runtime.status(spec));
          return;
        }
      }
    } catch (error) {
      await fail(workspaceId, error).catch((failure: unknown) => console.error("podspace: recording a failure failed", failure));
    }
  }

  function reconcile(workspaceId: string): Promise<void> {
    const next = (chains.get(workspaceId) ?? Promise.resolve()).then(() => reconcileNow(workspaceId));
    chains.set(workspaceId, next);
    void next.finally(() => chains.get(workspaceId) === next && chains.delete(workspaceId));
    return next;
  }

  async function reconcileAll() {
    const workspaces = await db.workspace.findMany({
      where: { state: { not: "DELETED" }, NOT: { state: "FAILED", desiredState: "RUNNING" } },
      select: { id: true },
    });
    await Promise.all(workspaces.map((workspace) => reconcile(workspace.id)));
  }

  async function record(event: RuntimeEvent) {
    const workspaceId = event.workspaceId;
    if (event.type === "progress") {
      const now = Date.now();
      const since = lastStepAt.get(workspaceId);
      lastStepAt.set(workspaceId, now);
      await db.workspaceEvent
        .create({ data: { workspaceId, step: event.step, message: event.message, durationMs: since === undefined ? null : now - since } })
        // The workspace may be gone already (an event racing its deletion).
        .catch(() => {});
      return;
    }
    // The runtime changed on its own (a crash, a pod deleted out of band, the
    // IDE becoming ready): converge from its truth.
    if (event.status.state === "failed" && event.status.reason === "deleted") {
      await db.workspaceEvent.create({ data: { workspaceId, step: "state", level: "WARNING", message: event.status.message } }).catch(() => {});
    }
    await reconcile(workspaceId);
  }

  return {
    reconcile,
    reconcileAll,
    start() {
      unwatch = runtime.watch((event) => void record(event).catch((error: unknown) => console.error("podspace: recording a runtime event failed", error)));
      const pass = () =>
        void reconcileAll().then(
          () => recordLoopPass("reconcile"),
          (error: unknown) => {
            metrics.reconcileErrors.inc();
            console.error("podspace: reconcile pass failed", error);
          },
        );
      pass();
      timer = setInterval(pass, options.intervalMs ?? PASS_INTERVAL_MS);
    },
    async stop() {
      clearInterval(timer);
      forgetLoop("reconcile");
      unwatch?.();
      await Promise.allSettled(chains.values());
    },
  };
}
