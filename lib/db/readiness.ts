import { redact } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { migrationStatus, readMigrations } from "./migrate";
import { poolUsage } from "./pool";
import { withSqlSession, type DatabaseTarget } from "./sql";

export interface ReadinessReport {
  status: "ready" | "unavailable";
  database: { kind: DatabaseTarget["kind"]; ok: boolean; error?: string };
  /** Whether the pages' own pool served a query in time: a database that answers a fresh connection serves no page while every pooled one is busy. */
  pool: { ok: boolean; error?: string };
  migrations?: { applied: number; pending: string[] };
}

const CHECK_TIMEOUT_MS = 5_000;
/**
 * How long the pages' pool has to answer SELECT 1. Pages that wait longer
 * for a connection are already failing their users, so the replica should
 * leave the load balancer; and it is well within a probe's usual timeout, so
 * the probe hears the reason rather than giving up on its own.
 */
export const POOL_TIMEOUT_MS = 2_000;

/**
 * Whether the database answers, has every migration applied, and serves
 * pages: `pagesDb` (getDb()'s client) runs a query through its pool in time.
 */
export async function checkReadiness(target: DatabaseTarget, pagesDb: PrismaClient): Promise<ReadinessReport> {
  const [{ database, migrations }, pool] = await Promise.all([checkMigrations(target), checkPool(pagesDb)]);
  const ready = database.ok && pool.ok && migrations?.pending.length === 0;
  return { status: ready ? "ready" : "unavailable", database, pool, migrations };
}

async function checkMigrations(target: DatabaseTarget): Promise<Pick<ReadinessReport, "database" | "migrations">> {
  try {
    const status = await withTimeout(
      withSqlSession(target, async (session) => migrationStatus(session, await readMigrations())),
      CHECK_TIMEOUT_MS,
      () => `no answer within ${CHECK_TIMEOUT_MS} ms`,
    );
    return { database: { kind: target.kind, ok: true }, migrations: { applied: status.applied.length, pending: status.pending } };
  } catch (error) {
    return { database: { kind: target.kind, ok: false, error: redact(messageOf(error)) } };
  }
}

async function checkPool(pagesDb: PrismaClient): Promise<ReadinessReport["pool"]> {
  try {
    // A query given up on stays queued and runs once a connection frees up: one SELECT 1 per probe, harmless.
    await withTimeout(pagesDb.$queryRaw`SELECT 1`, POOL_TIMEOUT_MS, () => {
      const usage = poolUsage("pages");
      const counts = usage ? ` (${usage.inUse} of ${usage.size} connections in use, ${usage.waiting} waiting)` : "";
      return `no answer within ${POOL_TIMEOUT_MS} ms${counts}`;
    });
    return { ok: true };
  } catch (error) {
    return { ok: false, error: `pages' database pool: ${redact(messageOf(error))}` };
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `work`, or a rejection with `timeoutMessage()` (said when the time is up) if it hasn't settled within `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number, timeoutMessage: () => string): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(timeoutMessage())), ms).unref()),
  ]);
}
