import { getDb } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";

/** The statement among `sent` that reads a page of `table`: the one with ORDER BY and LIMIT. */
export function pageQuery(sent: readonly Prisma.QueryEvent[], table: string): Prisma.QueryEvent {
  const statement = sent.find((event) => event.query.includes(`FROM "public"."${table}"`) && /ORDER BY .* LIMIT/s.test(event.query));
  if (!statement) throw new Error(`no page of ${table} among ${sent.length} statements`);
  return statement;
}

/** PostgreSQL's plan for a statement as Prisma sent it, with its parameters (EXPLAIN, text format). */
export async function planOf(statement: Prisma.QueryEvent): Promise<string> {
  const rows = await getDb().$queryRawUnsafe<Array<{ "QUERY PLAN": string }>>(`EXPLAIN ${statement.query}`, ...(JSON.parse(statement.params) as unknown[]));
  return rows.map((row) => row["QUERY PLAN"]).join("\n");
}
