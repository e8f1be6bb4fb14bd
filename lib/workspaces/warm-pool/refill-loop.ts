import { randomUUID } from "node:crypto";
import { recordAudit } from "@/lib/audit";
import { getBackgroundDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { logger } from "@/lib/observability/logger";
import { QUOTA_TRANSACTION, assertWithinQuota } from "@/lib/quotas/enforce";
import { periodicPass, type PeriodicPass } from "@/lib/server/periodic-pass";
import { defaultParameters } from "@/lib/templates/parameters";
import { templateSpec } from "@/lib/templates/spec";
import { meterWorkspace } from "@/lib/usage/meter";
import { requestReconcile } from "../reconcile-trigger";
import { registerPoolRefill } from "./refill-trigger";

// Keeps every warm pool at its size, on the leader. A pass looks at each
// pool's members (Workspace rows with its warmPoolId) and:
// - deletes the ones that can't be handed out any more: of an older template
//   version (a new version drains the pool), failed, or stopped by anyone; a
//   member is never recycled, so nothing of one pool workspace's life reaches
//   another's user;
// - deletes the newest extras when the pool shrank (or its template or team
//   was archived);
// - creates the missing ones from the template's latest version with its
//   defaults, each under the team's quota like any create: one that doesn't
//   fit is not made, and the pool says why on the team's settings page.
// The reconciler then starts and deletes them like any workspace. Refills
// come after users: only a few members of a pool start at a time
// (refillConcurrency), so a refill never fills the reconciler's queue ahead
// of the users' starts, and a claim's own wake-up comes after its commit.

export type WarmPoolLoop = PeriodicPass<void> & {
  /** A pass soon: requests made before it begins share it. */
  request(): void;
};

export interface WarmPoolLoopOptions {
  intervalMs?: number;
  /** At most this many members of one pool are on their way to RUNNING at once. */
  refillConcurrency?: number;
}

const PASS_INTERVAL_MS = 5_000;
const REFILL_CONCURRENCY = 3;

type PoolMember = { id: string; templateVersionId: string; state: string; desiredState: string; createdAt: Date };

/** Why a member goes; null: it stays. */
function retirement(member: PoolMember, latestVersionId: string | undefined): string | null {
  if (member.templateVersionId !== latestVersionId) return "the template has a newer version";
  if (member.state === "FAILED") return "it failed";
  if (member.desiredState !== "RUNNING") return "it was stopped";
  return null;
}

export function createWarmPoolLoop(options: WarmPoolLoopOptions = {}): WarmPoolLoop {
  const db = getBackgroundDb();
  const refillConcurrency = options.refillConcurrency ?? REFILL_CONCURRENCY;
  let requested = false;

  /** Deletes the member unless a claim took it first (the claim holds its row; the update then finds it no longer the pool's). */
  async function retire(poolId: string, member: PoolMember, why: string): Promise<void> {
    const retired = await db.$transaction(async (tx) => {
      const { count } = await tx.workspace.updateMany({
        where: { id: member.id, warmPoolId: poolId, desiredState: { not: "DELETED" } },
        data: { desiredState: "DELETED" },
      });
      if (count === 0) return false;
      await tx.workspaceEvent.create({ data: { workspaceId: member.id, step: "pool", message: `Leaving the warm pool: ${why}` } });
      return true;
    });
    if (retired) requestReconcile(member.id);
  }

  /** One new member, under the team's quota; throws the quota's AppError when it doesn't fit. */
  async function addMember(pool: { id: string; teamId: string; ownerId: string }, version: { id: string; version: number; spec: Prisma.JsonValue }, template: { name: string; slug: string }) {
    const parameters = defaultParameters(templateSpec.parse(version.spec));
    const id = await db.$transaction(async (tx) => {
      const team = await tx.team.findUniqueOrThrow({ where: { id: pool.teamId }, select: { id: true, slug: true } });
      await assertWithinQuota(tx, team, null, { creates: true, runs: true, cpu: parameters.cpu, memoryGiB: parameters.memoryGiB, addedDiskGiB: parameters.diskGiB });
      const now = new Date();
      const member = await tx.workspace.create({
        data: {
          name: `warm-${randomUUID()}`,
          ownerId: pool.ownerId,
          teamId: pool.teamId,
          templateVersionId: version.id,
          parameters: parameters as unknown as Prisma.InputJsonValue,
          warmPoolId: pool.id,
          startRequestedAt: now,
        },
      });
      await tx.workspaceEvent.create({ data: { workspaceId: member.id, step: "state", message: `Created from ${template.name} v${version.version} for the warm pool` } });
      await meterWorkspace(tx, member.id, { now: member.createdAt });
      await recordAudit(
        {
          action: "workspace.created",
          actorId: null,
          targetType: "workspace",
          targetId: member.id,
          teamId: pool.teamId,
          after: { name: member.name, template: template.slug, version: version.version, warmPool: true },
        },
        tx,
      );
      return member.id;
    }, QUOTA_TRANSACTION);
    requestReconcile(id);
  }

  async function refill(poolId: string): Promise<void> {
    const pool = await db.warmPool.findUniqueOrThrow({
      where: { id: poolId },
      include: {
        team: { select: { archivedAt: true } },
        template: { select: { name: true, slug: true, archivedAt: true, versions: { orderBy: { version: "desc" }, take: 1 } } },
      },
    });
    const latest = pool.template.versions[0];
    const members: PoolMember[] = await db.workspace.findMany({
      where: { warmPoolId: pool.id, desiredState: { not: "DELETED" } },
      select: { id: true, templateVersionId: true, state: true, desiredState: true, createdAt: true },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    const size = pool.team.archivedAt || pool.template.archivedAt || !latest ? 0 : pool.size;
    const keep: PoolMember[] = [];
    for (const member of members) {
      const why = retirement(member, latest?.id);
      if (why) await retire(pool.id, member, why);
      else keep.push(member);
    }
    // The newest go first: the oldest are the likeliest to be running.
    for (const extra of keep.splice(size).reverse()) await retire(pool.id, extra, "the pool is smaller now");

    const starting = keep.filter((member) => member.state !== "RUNNING").length;
    const toAdd = Math.min(size - keep.length, Math.max(0, refillConcurrency - starting));
    let blocked: string | null = null;
    for (let i = 0; i < toAdd && latest; i++) {
      try {
        await addMember(pool, latest, pool.template);
      } catch (error) {
        if (!(error instanceof AppError && error.code === "quota")) throw error;
        blocked = error.message;
        break;
      }
    }
    // Unblocked once a member was added or none is missing; short only because members are still starting says nothing.
    const known = blocked !== null || toAdd > 0 || keep.length >= size;
    if (known && blocked !== pool.refillBlockedReason) {
      await db.warmPool.update({ where: { id: pool.id }, data: { refillBlockedReason: blocked } });
    }
  }

  async function pass(): Promise<void> {
    requested = false;
    const pools = await db.warmPool.findMany({ select: { id: true } });
    for (const pool of pools) {
      try {
        await refill(pool.id);
      } catch (error) {
        logger.error({ err: error, poolId: pool.id }, "refilling a warm pool failed");
      }
    }
  }

  const loop = periodicPass("warm-pool", pass, options.intervalMs ?? PASS_INTERVAL_MS);
  const request = () => {
    if (requested) return;
    requested = true;
    void loop.runOnce().catch((error: unknown) => logger.error({ err: error }, "warm pool pass failed"));
  };
  return {
    ...loop,
    request,
    start() {
      registerPoolRefill(request);
      loop.start();
    },
    async stop() {
      registerPoolRefill(undefined);
      await loop.stop();
    },
  };
}
