import { randomUUID } from "node:crypto";
import { Prisma } from "@/lib/generated/prisma/client";
import type { UsageKind, WorkspaceState } from "@/lib/generated/prisma/enums";
import type { WorkspaceParameters } from "@/lib/templates/parameters";

// Metering: a workspace holds CPU and memory while the runtime runs it
// (STARTING or RUNNING) and its volume until it is DELETED. `meterWorkspace`
// makes the open intervals match the workspace's state; it runs in the same
// transaction as every state change (lib/workspaces/state-machine.ts), under
// the workspace's row lock, so an interval opens and closes exactly when the
// state does: a retried or repeated transition changes nothing, a crash
// rolls both back together, and a Podspace restart leaves open intervals
// open until the reconciler learns from the runtime that the state changed.
// A partial unique index keeps one open interval per workspace and kind.

/** States in which the runtime holds the workspace's CPU and memory. */
const COMPUTE_STATES: ReadonlySet<WorkspaceState> = new Set(["STARTING", "RUNNING"]);

/** Which kinds of usage a workspace in `state` accrues. */
export function heldKinds(state: WorkspaceState): Set<UsageKind> {
  const kinds = new Set<UsageKind>();
  if (state !== "DELETED") kinds.add("STORAGE");
  if (COMPUTE_STATES.has(state)) kinds.add("COMPUTE");
  return kinds;
}

/** Usage is kept in whole seconds, so rollups (BigInt seconds) add up exactly. */
export const wholeSecond = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);

/** A UTC instant as a PostgreSQL `timestamp` (the columns hold UTC without a zone), whatever the session's TimeZone. */
export const utcTimestamp = (date: Date) => Prisma.sql`(${date.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;

interface Resources {
  cpuMillicores: number;
  memoryMiB: number;
  storageGiB: number;
}

function resourcesFor(kind: UsageKind, parameters: WorkspaceParameters): Resources {
  return kind === "COMPUTE"
    ? { cpuMillicores: Math.round(parameters.cpu * 1000), memoryMiB: Math.round(parameters.memoryGiB * 1024), storageGiB: 0 }
    : { cpuMillicores: 0, memoryMiB: 0, storageGiB: Math.ceil(parameters.diskGiB) };
}

const sameResources = (a: Resources, b: Resources) =>
  a.cpuMillicores === b.cpuMillicores && a.memoryMiB === b.memoryMiB && a.storageGiB === b.storageGiB;

export interface MeterOptions {
  now: Date;
  /** When intervals that should no longer be open ended; default `now`. Reconcile passes the state change's time. */
  closedAt?: Date;
}

/**
 * Opens and closes the workspace's usage intervals to match its current
 * state, resources and owner. Call with the workspace row locked. Idempotent.
 */
export async function meterWorkspace(tx: Prisma.TransactionClient, workspaceId: string, options: MeterOptions): Promise<void> {
  const workspace = await tx.workspace.findUnique({
    where: { id: workspaceId },
    select: { state: true, teamId: true, ownerId: true, parameters: true, templateVersion: { select: { templateId: true } } },
  });
  if (!workspace) return;
  const now = wholeSecond(options.now);
  const closedAt = wholeSecond(options.closedAt ?? options.now);
  const held = heldKinds(workspace.state);
  const parameters = workspace.parameters as unknown as WorkspaceParameters;
  const open = await tx.usageInterval.findMany({ where: { workspaceId, endedAt: null } });

  for (const kind of ["COMPUTE", "STORAGE"] as const) {
    const current = open.find((interval) => interval.kind === kind);
    const wanted = held.has(kind) ? resourcesFor(kind, parameters) : null;
    // An owner change (a warm pool member claimed) is one too: the pool's usage ends at the claim and the user's begins.
    if (current && wanted && sameResources(current, wanted) && current.userId === workspace.ownerId) continue;
    if (current) {
      // A resource or owner change closes at `now` and reopens with the new size or owner. Never
      // before what the rollups already counted: a rollup pass may have read
      // the open interval up to a later `now` than this transaction's.
      await tx.$executeRaw`
        UPDATE "UsageInterval" SET "endedAt" = GREATEST(${utcTimestamp(wanted === null ? closedAt : now)}, "startedAt", "rolledUpUntil")
         WHERE "id" = ${current.id} AND "endedAt" IS NULL`;
    }
    if (wanted) {
      await tx.$executeRaw`
        INSERT INTO "UsageInterval" ("id", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "storageGiB", "startedAt", "rolledUpUntil")
        VALUES (${randomUUID()}, ${kind}::"UsageKind", ${workspaceId}, ${workspace.teamId}, ${workspace.ownerId}, ${workspace.templateVersion.templateId},
                ${wanted.cpuMillicores}, ${wanted.memoryMiB}, ${wanted.storageGiB}, ${utcTimestamp(now)}, ${utcTimestamp(now)})
        ON CONFLICT ("workspaceId", "kind") WHERE "endedAt" IS NULL DO NOTHING`;
    }
  }
}
