import { getDb } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { csvField } from "@/lib/usage/export";
import type { Period } from "@/lib/usage/period";

// The AI gateway's usage beside compute on the usage pages and in CSV: tokens
// and cost per user, model and workspace (and team, across teams) over the
// page's period, read from the per-request metadata rows (usage.ts).

export interface AiUsageLine {
  key: string;
  label: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

export interface AiUsageReport {
  total: Omit<AiUsageLine, "key" | "label">;
  byUser: AiUsageLine[];
  byModel: AiUsageLine[];
  byWorkspace: AiUsageLine[];
  byTeam: AiUsageLine[];
}

type Row = { key: string | null; requests: bigint; input: bigint | null; output: bigint | null; cost: bigint | null };

const DIMENSIONS = {
  user: Prisma.sql`"userId"`,
  model: Prisma.sql`"provider" || '/' || "model"`,
  workspace: Prisma.sql`"workspaceId"`,
  team: Prisma.sql`"teamId"`,
} as const;

async function grouped(teamId: string | null, period: Period, by: keyof typeof DIMENSIONS): Promise<Row[]> {
  const team = teamId ? Prisma.sql`AND "teamId" = ${teamId}` : Prisma.empty;
  return getDb().$queryRaw<Row[]>`
    SELECT ${DIMENSIONS[by]} AS "key", count(*) AS "requests", sum("inputTokens") AS "input", sum("outputTokens") AS "output", sum("costMicros") AS "cost"
    FROM "AiUsage"
    WHERE "at" >= ${period.from} AND "at" < ${period.until} AND "provider" <> '' ${team}
    GROUP BY 1
    ORDER BY sum("costMicros") DESC, sum("inputTokens") + sum("outputTokens") DESC`;
}

const line = (row: Row, label: string): AiUsageLine => ({
  key: row.key ?? "",
  label,
  requests: Number(row.requests),
  inputTokens: Number(row.input ?? 0),
  outputTokens: Number(row.output ?? 0),
  costMicros: Number(row.cost ?? 0),
});

/** The period's AI usage of a team, or of every team (null). Requests no model served (refused, all failed) aren't counted. */
export async function aiUsageReport(teamId: string | null, period: Period): Promise<AiUsageReport> {
  const [users, models, workspaces, teams] = await Promise.all([
    grouped(teamId, period, "user"),
    grouped(teamId, period, "model"),
    grouped(teamId, period, "workspace"),
    teamId ? Promise.resolve([]) : grouped(null, period, "team"),
  ]);
  const db = getDb();
  const ids = (rows: Row[]) => rows.map((row) => row.key).filter((key): key is string => key !== null);
  const [userNames, workspaceNames, teamNames] = await Promise.all([
    db.user.findMany({ where: { id: { in: ids(users) } }, select: { id: true, email: true } }),
    db.workspace.findMany({ where: { id: { in: ids(workspaces) } }, select: { id: true, name: true } }),
    db.team.findMany({ where: { id: { in: ids(teams) } }, select: { id: true, slug: true } }),
  ]);
  const emails = new Map(userNames.map((row) => [row.id, row.email]));
  // A deleted workspace's name carries a ~suffix; the report shows the name it had.
  const workspaceLabels = new Map(workspaceNames.map((row) => [row.id, row.name.replace(/~[^~]*$/, "")]));
  const slugs = new Map(teamNames.map((row) => [row.id, row.slug]));
  const byModel = models.map((row) => line(row, row.key ?? ""));
  return {
    total: byModel.reduce(
      (sum, row) => ({ requests: sum.requests + row.requests, inputTokens: sum.inputTokens + row.inputTokens, outputTokens: sum.outputTokens + row.outputTokens, costMicros: sum.costMicros + row.costMicros }),
      { requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 },
    ),
    byUser: users.map((row) => line(row, emails.get(row.key ?? "") ?? row.key ?? "")),
    byModel,
    byWorkspace: workspaces.map((row) => line(row, row.key ? (workspaceLabels.get(row.key) ?? row.key) : "(API tokens)")),
    byTeam: teams.map((row) => line(row, slugs.get(row.key ?? "") ?? row.key ?? "")),
  };
}

const HEADER = ["day", "team", "user", "workspace", "provider", "model", "requests", "input_tokens", "output_tokens", "cost_usd"];

type DayRow = { day: Date; team: string; user: string; workspace: string | null; provider: string; model: string; requests: bigint; input: bigint; output: bigint; cost: bigint };

/** The period's AI usage as CSV: one row per day, team, user, workspace and model. */
export async function aiUsageCsv(teamId: string | null, period: Period): Promise<string> {
  const team = teamId ? Prisma.sql`AND u."teamId" = ${teamId}` : Prisma.empty;
  const rows = await getDb().$queryRaw<DayRow[]>`
    SELECT date_trunc('day', u."at") AS "day", t."slug" AS "team", coalesce(p."email", u."userId") AS "user", w."name" AS "workspace",
           u."provider", u."model", count(*) AS "requests", sum(u."inputTokens") AS "input", sum(u."outputTokens") AS "output", sum(u."costMicros") AS "cost"
    FROM "AiUsage" u
    JOIN "Team" t ON t."id" = u."teamId"
    LEFT JOIN "User" p ON p."id" = u."userId"
    LEFT JOIN "Workspace" w ON w."id" = u."workspaceId"
    WHERE u."at" >= ${period.from} AND u."at" < ${period.until} AND u."provider" <> '' ${team}
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6`;
  const lines = rows.map((row) =>
    [
      row.day.toISOString().slice(0, 10),
      row.team,
      row.user,
      row.workspace?.replace(/~[^~]*$/, "") ?? "",
      row.provider,
      row.model,
      Number(row.requests),
      Number(row.input),
      Number(row.output),
      Number(row.cost) / 1e6,
    ]
      .map(csvField)
      .join(","),
  );
  return `${[HEADER.join(","), ...lines].join("\n")}\n`;
}
