import { getDb } from "@/lib/db/client";
import { logger } from "@/lib/observability/logger";
import { getRuntime } from "@/lib/runtime/runtime";
import { runtimeSpecInclude, toRuntimeSpec } from "../runtime-spec";

// A warm pool member runs with the pool's spec: its pod (or process) was
// made before anyone claimed it and names no user. Once a claim has
// committed, what is the user's reaches the running workspace without a
// restart: its environment (its name, its parameters) with every terminal and
// exec, which both runtimes build from the workspace's spec as it is at that
// moment, never from the pod's; and here, what names its owner in the
// runtime's objects (the pod's labels on Kubernetes).

/**
 * Brings the runtime's objects of a claimed workspace up to its new owner. A
 * failure is the workspace's event, not the create's: the workspace is the
 * user's and runs either way, and its next start makes everything afresh.
 */
export async function handOverClaimed(workspaceId: string): Promise<void> {
  const db = getDb();
  try {
    const workspace = await db.workspace.findUniqueOrThrow({ where: { id: workspaceId }, include: runtimeSpecInclude });
    await (await getRuntime()).handOver(toRuntimeSpec(workspace));
  } catch (error) {
    logger.warn({ err: error, workspaceId }, "handing a claimed warm pool workspace over failed");
    await db.workspaceEvent.create({
      data: { workspaceId, step: "pool", level: "WARNING", message: "The runtime's labels of this workspace still name the warm pool; a restart renews them." },
    });
  }
}
