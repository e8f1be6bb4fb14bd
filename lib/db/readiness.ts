import { redact } from "@/lib/env";
import { migrationStatus, readMigrations } from "./migrate";
import { withSqlSession, type DatabaseTarget } from "./sql";

export interface ReadinessReport {
  status: "ready" | "unavailable";
  database: { kind: DatabaseTarget["kind"]; ok: boolean; error?: string };
  migrations?: { applied: number; pending: string[] };
}

const CHECK_TIMEOUT_MS = 5_000;

/** Whether the database answers and has every migration applied. */
export async function checkReadiness(target: DatabaseTarget): Promise<ReadinessReport> {
  try {
    const status = await withTimeout(
      withSqlSession(target, async (session) => migrationStatus(session, await readMigrations())),
      CHECK_TIMEOUT_MS,
    );
    return {
      status: status.pending.length === 0 ? "ready" : "unavailable",
      database: { kind: target.kind, ok: true },
      migrations: { applied: status.applied.length, pending: status.pending },
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: "unavailable", database: { kind: target.kind, ok: false, error: redact(message) } };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}
