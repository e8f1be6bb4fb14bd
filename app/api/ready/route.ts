import { databaseTarget } from "@/lib/db/client";
import { checkReadiness } from "@/lib/db/readiness";

export const dynamic = "force-dynamic";

// Readiness: the database answers and every migration on disk is applied.
export async function GET() {
  const report = await checkReadiness(databaseTarget());
  return Response.json(report, { status: report.status === "ready" ? 200 : 503 });
}
