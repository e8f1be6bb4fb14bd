import { getDb } from "@/lib/db/client";
import { logger } from "@/lib/observability/logger";
import type { Reconciler } from "./reconciler";
import { sendReconcileWakeups } from "./reconcile-wakeups";

// Server actions run in the Next.js bundle, the reconciler in server.ts's
// module graph; both share this process's global. On the leader the request
// goes straight to its reconciler; on a replica that isn't the leader there is
// no reconciler here, and the request reaches the leader's as a PostgreSQL
// notification (reconcile-wakeups.ts).

const RECONCILER = Symbol.for("podspace.reconciler");
const globalStore = globalThis as { [RECONCILER]?: Reconciler };

export function registerReconciler(reconciler: Reconciler | undefined): void {
  globalStore[RECONCILER] = reconciler;
}

/** Asks for a pass over one workspace now, without waiting for it; call it once the change is committed. */
export function requestReconcile(workspaceId: string): void {
  requestReconciles([workspaceId]);
}

/** requestReconcile for several workspaces: from a replica that isn't the leader, one statement for all. */
export function requestReconciles(workspaceIds: readonly string[]): void {
  if (workspaceIds.length === 0) return;
  const reconciler = globalStore[RECONCILER];
  const requested = reconciler ? Promise.all(workspaceIds.map((id) => reconciler.reconcile(id))) : sendReconcileWakeups(getDb(), workspaceIds);
  void requested.catch((error: unknown) => logger.error({ err: error, workspaceIds }, "asking for workspaces' reconcile failed"));
}
