// Quota decision benchmark: 1,000 workspace starts at once against
// PostgreSQL, through the same code path as the Start button
// (operateWorkspace: the workspace's row lock, the team's row lock, usage,
// limits, per-member counts and the month-to-date CPU budget from 1,000
// metered intervals per team). Reports the latency of each decision (admit
// or refuse) and the decisions per second, and checks that exactly the
// allowed number were admitted.
//
//   npm run bench -- quota-decisions        (BENCH_STARTS=1000, BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres)
import { randomUUID } from "node:crypto";
import type { Actor } from "@/lib/authz";
import { createPrismaClient, getBackgroundDb, getDb, installDbClients } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { rollUpUsage } from "@/lib/usage/rollup";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { summarize, type Summary } from "./stats";

interface Scenario {
  label: string;
  teams: number;
  /** Each team admits this many running workspaces. */
  runningLimit: number;
  starts: number;
  /** All at once (the benchmark), or one after another (the uncontended cost of one decision, for comparison). */
  concurrent: boolean;
}

export async function benchQuotaDecisions(starts = Number(process.env.BENCH_STARTS ?? 1000)): Promise<Record<string, Summary>> {
  const database = await createTestDatabase(process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  const target = { kind: "postgres" as const, url: database.url };
  await prepareDatabase(target);
  // The app's own client (lib/db/client.ts), with its default pool, pointed at the throwaway database.
  const uninstallClients = installDbClients({ pages: createPrismaClient(target), background: createPrismaClient(target, "background") });
  const scenarios: Scenario[] = [
    { label: "baseline: one team, 200 starts one at a time", teams: 1, runningLimit: 100, starts: 200, concurrent: false },
    { label: `one team, ${starts} starts at once`, teams: 1, runningLimit: Math.floor(starts / 4), starts, concurrent: true },
    { label: `${starts / 20} teams, 20 starts each, ${starts} at once`, teams: starts / 20, runningLimit: 10, starts, concurrent: true },
  ];
  const rows: Record<string, Summary> = {};
  try {
    const owner = await getDb().user.create({ data: { email: "bench@quota.bench" } });
    const version = await getDb().templateVersion.create({ data: { version: 1, spec: {}, template: { create: { slug: "bench", name: "Bench" } } } });
    for (const [index, scenario] of scenarios.entries()) {
      const { teamIds, workspaceIds } = await seed(scenario, `s${index}`, owner.id, version.id);
      // A plain member starting their own workspaces.
      const actor: Actor = { id: owner.id, isPlatformAdmin: false, roles: new Map(teamIds.map((teamId) => [teamId, "MEMBER" as const])) };
      const began = performance.now();
      const decide = async (workspaceId: string) => {
        const at = performance.now();
        const outcome = await operateWorkspace(actor, { workspaceId, operation: "start" }).then(
          () => "admitted" as const,
          (error: unknown) => {
            const code = (error as { code?: string }).code;
            if (code === "quota") return "refused" as const;
            // P2028: waited longer than QUOTA_TRANSACTION.maxWait for a connection; the start was neither admitted nor refused.
            if (code === "P2028") return "timed out" as const;
            throw error;
          },
        );
        return { admitted: outcome === "admitted", outcome, ms: performance.now() - at };
      };
      const outcomes: Array<{ admitted: boolean; outcome: "admitted" | "refused" | "timed out"; ms: number }> = [];
      if (scenario.concurrent) outcomes.push(...(await Promise.all(workspaceIds.map(decide))));
      else for (const workspaceId of workspaceIds) outcomes.push(await decide(workspaceId));
      const seconds = (performance.now() - began) / 1000;
      const count = (what: string) => outcomes.filter((outcome) => outcome.outcome === what).length;
      const [admitted, refused, timedOut] = [count("admitted"), count("refused"), count("timed out")];
      const allowed = scenario.teams * scenario.runningLimit;
      const running = await getDb().workspace.count({ where: { id: { in: workspaceIds }, desiredState: "RUNNING" } });
      // Never more than the limit; exactly the limit unless some starts gave up waiting.
      if (running !== admitted || admitted > allowed || (timedOut === 0 && admitted !== allowed)) {
        throw new Error(`${scenario.label}: admitted ${admitted} (${running} running), allowed ${allowed}`);
      }
      const decided = outcomes.filter((outcome) => outcome.outcome !== "timed out");
      console.log(
        `  ${scenario.label}: ${decided.length} decisions in ${seconds.toFixed(2)} s = ${Math.round(decided.length / seconds)} decisions/s; ` +
          `admitted ${admitted} (limit ${allowed}), refused ${refused}, gave up waiting ${timedOut}`,
      );
      rows[`${scenario.label}: every decision`] = summarize(decided.map((outcome) => outcome.ms));
      rows[`${scenario.label}: refusals`] = summarize(outcomes.filter((outcome) => outcome.outcome === "refused").map((outcome) => outcome.ms));
    }
    return rows;
  } finally {
    await uninstallClients();
    await database.drop();
  }
}

/** Teams with a quota (running limit, CPU, memory, budget) and a month of metered usage, and the scenario's stopped workspaces spread over them. */
async function seed(scenario: Scenario, prefix: string, ownerId: string, templateVersionId: string) {
  const db = getDb();
  const teams = Array.from({ length: scenario.teams }, (_, i) => ({ id: randomUUID(), slug: `${prefix}-team-${i}`, name: `${prefix} team ${i}` }));
  await db.team.createMany({ data: teams });
  await db.teamQuota.createMany({
    data: teams.map((team) => ({
      teamId: team.id,
      scope: "LIMIT" as const,
      maxRunningWorkspaces: scenario.runningLimit,
      cpuMillicores: 1_000_000,
      memoryMiB: 10_000_000,
      monthlyCpuCoreHours: 10_000_000,
    })),
  });
  const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
  await db.usageInterval.createMany({
    data: teams.flatMap((team) =>
      Array.from({ length: 1000 }, (_, i) => ({
        kind: "COMPUTE" as const,
        workspaceId: `${team.id}-history`,
        teamId: team.id,
        userId: ownerId,
        templateId: "bench",
        cpuMillicores: 1000,
        startedAt: new Date(monthStart.getTime() + i * 60_000),
        endedAt: new Date(monthStart.getTime() + i * 60_000 + 30_000),
        rolledUpUntil: new Date(monthStart.getTime() + i * 60_000),
      })),
    ),
  });
  // As a running install's usage loop keeps them: the budget reads the month's days and what they don't hold yet.
  await rollUpUsage(getBackgroundDb(), new Date());
  const workspaces = Array.from({ length: scenario.starts }, (_, i) => ({
    id: randomUUID().replaceAll("-", ""),
    name: `${prefix}-ws-${i}`,
    ownerId,
    teamId: teams[i % teams.length]!.id,
    templateVersionId,
    parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
    state: "STOPPED" as const,
    desiredState: "STOPPED" as const,
  }));
  await db.workspace.createMany({ data: workspaces });
  return { teamIds: teams.map((team) => team.id), workspaceIds: workspaces.map((workspace) => workspace.id) };
}
