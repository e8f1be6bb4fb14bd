import { databaseTarget, getDb } from "@/lib/db/client";
import { checkReadiness } from "@/lib/db/readiness";
import { getRuntime } from "@/lib/runtime/runtime";
import { currentLeader } from "@/lib/server/leader";
import { currentReplica } from "@/lib/server/replica";
import { PODSPACE_VERSION } from "@/lib/version";
import { hideUrlPasswords } from "./logger";

// What /admin/health shows platform admins: each part Podspace depends on,
// green or red, with the error when red. Checks run in parallel and each
// gives up after CHECK_TIMEOUT_MS, so one hung dependency can't hide the rest.

export interface HealthCheck {
  name: string;
  ok: boolean;
  /** What was found, or the error. Passwords in URLs are masked. */
  detail: string;
}

const CHECK_TIMEOUT_MS = 5_000;

export async function platformHealth(): Promise<HealthCheck[]> {
  const target = databaseTarget();
  const replica = currentReplica();
  const readiness = checkReadiness(target, getDb());
  return Promise.all([
    check("Database", async () => {
      const report = await readiness;
      if (!report.database.ok) throw new Error(report.database.error ?? "unreachable");
      if (!report.pool.ok) throw new Error(report.pool.error ?? "the pages' pool serves no query");
      return target.kind === "postgres" ? "PostgreSQL (DATABASE_URL) answers" : "embedded PGlite answers";
    }),
    check("Migrations", async () => {
      const { migrations } = await readiness;
      if (!migrations) throw new Error("unknown: the database did not answer");
      if (migrations.pending.length > 0) throw new Error(`pending: ${migrations.pending.join(", ")}`);
      return `all ${migrations.applied} applied`;
    }),
    check("Workspace runtime", async () => {
      const runtime = await getRuntime();
      return `${runtime.kind}: ${await runtime.probe()}`;
    }),
    check("Leader", async () => {
      const leader = await currentLeader(target);
      if (!leader) throw new Error("no replica holds leadership: reconcile and lifecycle loops are not running");
      return leader === replica.id ? `${leader} (this replica)` : leader;
    }),
    check("Version", async () => `Podspace ${PODSPACE_VERSION} on Node.js ${process.versions.node}, replica ${replica.id} (${replica.internalUrl})`),
  ]);
}

async function check(name: string, run: () => Promise<string>): Promise<HealthCheck> {
  try {
    const detail = await Promise.race([
      run(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS).unref()),
    ]);
    return { name, ok: true, detail };
  } catch (error) {
    return { name, ok: false, detail: hideUrlPasswords(error instanceof Error ? error.message : String(error)) };
  }
}
