import type { PrismaClient } from "@/lib/generated/prisma/client";

/**
 * The workspaces a reconcile pass must look at, in one query: those whose
 * observed state differs from the desired one, given which workspaces the
 * runtime holds compute for (`active`: starting or running there). A
 * workspace stopped in both the database and the runtime, or running in
 * both, is not among them, so a pass costs what changed, not the fleet.
 */
export async function workspacesToReconcile(db: PrismaClient, active: readonly string[]): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT "id" FROM "Workspace"
    WHERE "state" <> 'DELETED' AND (
      "desiredState" = 'DELETED'
      OR ("desiredState" = 'STOPPED' AND "state" <> 'STOPPED')
      -- A failed start waits for the user's retry instead of looping.
      OR ("desiredState" = 'RUNNING' AND "state" <> 'FAILED' AND (
        "state" <> 'RUNNING' OR "restartRequestedAt" IS NOT NULL
        -- Running in the database, gone or failed in the runtime.
        OR NOT ("id" = ANY(${active}::text[]))
      ))
      -- Running in the runtime though it should not be (the database may already say STOPPED).
      OR ("desiredState" <> 'RUNNING' AND "id" = ANY(${active}::text[]))
    )`;
  return rows.map((row) => row.id);
}
