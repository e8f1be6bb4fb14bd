import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";
import { holdsCompute, SELF_HEALING_FAILURES, type ObservedStatus } from "@/lib/runtime/types";

/**
 * The workspaces a reconcile pass must look at, in one query: those whose
 * observed state differs from the desired one, given what the runtime
 * listed (WorkspaceRuntime.listActive). A workspace stopped in both the
 * database and the runtime, or running in both, is not among them, so a
 * pass costs what changed, not the size of the fleet.
 *
 * With `among`, it looks only at those workspaces, and `listed` holds the
 * status of each of them (what runtime events reported): those whose status
 * agrees with the database are left out.
 */
export async function workspacesToReconcile(
  db: PrismaClient,
  listed: ReadonlyMap<string, ObservedStatus>,
  among?: readonly string[],
): Promise<string[]> {
  const held = [...listed].filter(([, status]) => holdsCompute(status.state)).map(([id]) => id);
  const running = [...listed].filter(([, status]) => status.state === "running" || status.state === "starting").map(([id]) => id);
  const runningNow = [...listed].filter(([, status]) => status.state === "running").map(([id]) => id);
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT "id" FROM "Workspace"
    WHERE "state" <> 'DELETED' ${among ? Prisma.sql`AND "id" = ANY(${among}::text[])` : Prisma.empty} AND (
      "desiredState" = 'DELETED'
      OR ("desiredState" = 'STOPPED' AND "state" <> 'STOPPED')
      -- A failed start waits for the user's retry instead of looping…
      OR ("desiredState" = 'RUNNING' AND "state" <> 'FAILED' AND (
        "state" <> 'RUNNING' OR "restartRequestedAt" IS NOT NULL
        -- Running in the database, gone or failed in the runtime.
        OR NOT ("id" = ANY(${running}::text[]))
      ))
      -- …unless the cluster got past it by itself: its pod runs now.
      OR ("desiredState" = 'RUNNING' AND "state" = 'FAILED' AND "stateReason" = ANY(${SELF_HEALING_FAILURES}::text[]) AND "id" = ANY(${runningNow}::text[]))
      -- Holding compute in the runtime though it should not (the database may already say STOPPED).
      OR ("desiredState" <> 'RUNNING' AND "id" = ANY(${held}::text[]))
    )`;
  return rows.map((row) => row.id);
}
