import type { Reconciler } from "./reconciler";

// Server actions run in the Next.js bundle, the reconciler in server.ts's
// module graph; both share this process's global. On a replica that isn't the
// leader there is no reconciler here, and the leader's next pass (within
// seconds) picks the change up from the database.

const RECONCILER = Symbol.for("podspace.reconciler");
const globalStore = globalThis as { [RECONCILER]?: Reconciler };

export function registerReconciler(reconciler: Reconciler | undefined): void {
  globalStore[RECONCILER] = reconciler;
}

/** Asks for a pass over one workspace now, without waiting for it. */
export function requestReconcile(workspaceId: string): void {
  void globalStore[RECONCILER]?.reconcile(workspaceId).catch((error: unknown) => console.error("podspace: reconcile failed", error));
}
