import { databaseTarget, getDb } from "@/lib/db/client";
import { checkReadiness } from "@/lib/db/readiness";

export const dynamic = "force-dynamic";

// Readiness: the database answers, every migration on disk is applied, and
// the pages' connection pool serves a query in time.
export async function GET() {
  const report = await checkReadiness(databaseTarget(), getDb());
  return Response.json(report, { status: report.status === "ready" ? 200 : 503 });
}
