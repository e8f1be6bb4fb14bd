import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { dayString, type Period } from "@/lib/usage/period";
import { amounts, usageReport } from "@/lib/usage/report";
import { rollUpUsage } from "@/lib/usage/rollup";
import { createTeamWith } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// The all-teams dashboard reads its totals and its series by team or template
// from the per-team days (UsageTeamDailyRollup): its figures must be those of
// the per-workspace days it used to read, to the last digit.

usePostgresAppDatabase();

const HOUR = 3_600_000;
const START = Date.UTC(2026, 2, 1);
const period: Period = { kind: "custom", from: new Date(START), until: new Date(START + 5 * 24 * HOUR) };

describe("the all-teams usage report", () => {
  beforeAll(async () => {
    const teams = [await createTeamWith("report-a"), await createTeamWith("report-b"), await createTeamWith("report-c")];
    // 12 workspaces over 3 teams and 3 templates, sessions of different sizes crossing midnights, from a day
    // before the period; and workspace w0 each day at noon under another team and template.
    const interval = (i: number, workspace: number, startedAt: Date, moved = false) => ({
      kind: i % 5 === 0 ? ("STORAGE" as const) : ("COMPUTE" as const),
      workspaceId: `w${workspace}`,
      teamId: teams[(workspace + (moved ? 1 : 0)) % 3]!.id,
      userId: `u${workspace % 5}`,
      templateId: `t${(workspace + (moved ? 1 : 0)) % 3}`,
      cpuMillicores: 250 * (1 + (i % 7)) + workspace,
      memoryMiB: 512 * (1 + (i % 3)),
      storageGiB: i % 5 === 0 ? 10 + workspace : 0,
      startedAt,
      endedAt: new Date(startedAt.getTime() + (1 + (i % 9)) * 3 * HOUR),
      rolledUpUntil: startedAt,
    });
    await getDb().usageInterval.createMany({
      data: [
        ...Array.from({ length: 60 }, (_, i) => interval(i, i % 12, new Date(START - 24 * HOUR + i * 2 * HOUR + (i % 12) * 60_000))),
        ...Array.from({ length: 4 }, (_, day) => interval(1, 0, new Date(START + (day * 24 + 12) * HOUR), true)),
      ],
    });
    await rollUpUsage(getDb(), new Date(START + 7 * 24 * HOUR), 7);
  });

  it.each(["team", "template"] as const)("by %s equals the per-workspace days' sums", async (by) => {
    const rows = await getDb().usageDailyRollup.findMany({ where: { day: { gte: period.from, lt: period.until } } });
    const column = by === "team" ? "teamId" : "templateId";
    type Sum = { cpuMillicoreSeconds: bigint; memoryMiBSeconds: bigint; storageGiBSeconds: bigint; workspaceSeconds: bigint };
    const add = (sum: Sum | undefined, row: Sum): Sum => ({
      cpuMillicoreSeconds: (sum?.cpuMillicoreSeconds ?? 0n) + row.cpuMillicoreSeconds,
      memoryMiBSeconds: (sum?.memoryMiBSeconds ?? 0n) + row.memoryMiBSeconds,
      storageGiBSeconds: (sum?.storageGiBSeconds ?? 0n) + row.storageGiBSeconds,
      workspaceSeconds: (sum?.workspaceSeconds ?? 0n) + row.workspaceSeconds,
    });
    const total = rows.reduce<Sum | undefined>(add, undefined)!;
    const perPoint = new Map<string, Sum>();
    const perKey = new Map<string, Sum>();
    for (const row of rows) {
      perPoint.set(`${dayString(row.day)} ${row[column]}`, add(perPoint.get(`${dayString(row.day)} ${row[column]}`), row));
      perKey.set(row[column], add(perKey.get(row[column]), row));
    }
    const sessions = rows.reduce((n, row) => n + row.computeSessions, 0);
    const sessionSeconds = rows.reduce((n, row) => n + row.computeSessionSeconds, 0n);

    const report = await usageReport(null, period, by);
    expect(report.totals).toMatchObject({ ...amounts(total), sessions, averageSessionHours: Number(sessionSeconds) / sessions / 3600 });
    expect(report.keys.map((k) => k.key)).toEqual([...perKey].sort(([, a], [, b]) => Number(b.cpuMillicoreSeconds - a.cpuMillicoreSeconds)).map(([key]) => key));
    const point = (p: { day: string; key: string }) => `${p.day} ${p.key}`;
    expect(Object.fromEntries(report.series.map((p) => [point(p), p]))).toEqual(
      Object.fromEntries([...perPoint].map(([key, sum]) => [key, { day: key.split(" ")[0], key: key.split(" ")[1], ...amounts(sum) }])),
    );
    // The data has rows in every team and template. w0's days hold intervals of two templates, rolled up (in
    // batches of 7) by both shares of a backlog: a day's row is under one of them, whichever share made it.
    expect(perKey.size).toBe(3);
    for (const row of rows.filter((row) => row.workspaceId === "w0")) expect(["t0", "t1"]).toContain(row.templateId);
  });

  // The top workspaces come from the per-workspace weeks for a period's whole weeks (here Monday March 2 to
  // Sunday March 8, with days before and after it), from the days alone for a period without one.
  it.each([
    ["with a whole week", { kind: "custom", from: new Date(START - 2 * 24 * HOUR), until: new Date(START + 9 * 24 * HOUR) } as Period],
    ["without one", period],
  ])("ranks the top workspaces %s as the per-workspace days do", async (_, ranked) => {
    const rows = await getDb().usageDailyRollup.groupBy({
      by: ["workspaceId"],
      where: { day: { gte: ranked.from, lt: ranked.until } },
      _sum: { cpuMillicoreSeconds: true, memoryMiBSeconds: true, storageGiBSeconds: true, workspaceSeconds: true },
    });
    const expected = rows
      .sort((a, b) => Number(b._sum.cpuMillicoreSeconds! - a._sum.cpuMillicoreSeconds!))
      .slice(0, 10)
      .map((row) => ({ id: row.workspaceId, ...amounts(row._sum) }));
    const report = await usageReport(null, ranked, "team");
    expect(report.topWorkspaces.map(({ id, cpuCoreHours, memoryGiBHours, storageGiBDays, workspaceHours }) => ({ id, cpuCoreHours, memoryGiBHours, storageGiBDays, workspaceHours }))).toEqual(expected);
    expect(expected).toHaveLength(10);
  });
});
