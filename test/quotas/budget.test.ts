import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { getBackgroundDb, getDb } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { budgetLevel, monthToDateCoreHours, teamBudget } from "@/lib/quotas/budget";
import { rollUpUsage } from "@/lib/usage/rollup";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";

// Month-to-date CPU core-hours from UsageInterval rows written straight to
// the database, the way the metering writes them, and the daily rollups of them.

useAppDatabase();

const HOUR = 3_600_000;
const NOW = new Date("2026-12-11T00:00:00.000Z");
const at = (iso: string) => new Date(iso);

async function interval(teamId: string, userId: string, data: Partial<Prisma.UsageIntervalUncheckedCreateInput> & { startedAt: Date }) {
  await getDb().usageInterval.create({
    // One workspace per interval: the metering allows one open interval per workspace and kind.
    data: { kind: "COMPUTE", workspaceId: randomUUID(), teamId, userId, templateId: "t", cpuMillicores: 1000, rolledUpUntil: data.startedAt, ...data },
  });
}

/**
 * A team's December of metered intervals, 17.5 core-hours at NOW, and another
 * team's (9 days × 24 h × 4 cores). `open`: the workspace of the interval
 * still open at NOW.
 */
async function monthOfIntervals(slug: string) {
  const owner = await createUser(`owner@${slug}.test`);
  const team = await createTeamWith(slug, [[owner, "OWNER"]]);
  const other = await createTeamWith(`${slug}-other`, [[owner, "OWNER"]]);
  const add = (data: Parameters<typeof interval>[2], teamId = team.id) => interval(teamId, owner.id, data);
  const open = randomUUID();

  // Crosses into the month: only Dec 1 00:00–02:00 counts, 2 h × 2 cores = 4.
  await add({ cpuMillicores: 2000, startedAt: at("2026-11-30T22:00:00Z"), endedAt: at("2026-12-01T02:00:00Z") });
  // Still open: 24 h up to now × 0.5 cores = 12.
  await add({ workspaceId: open, cpuMillicores: 500, startedAt: at("2026-12-10T00:00:00Z"), endedAt: null });
  // Closed inside the month: 90 min × 1 core = 1.5.
  await add({ cpuMillicores: 1000, startedAt: at("2026-12-05T10:00:00Z"), endedAt: at("2026-12-05T11:30:00Z") });
  // Not counted: last month, storage, another team, later than now.
  await add({ cpuMillicores: 8000, startedAt: at("2026-11-01T00:00:00Z"), endedAt: at("2026-11-30T00:00:00Z") });
  await add({ kind: "STORAGE", cpuMillicores: 0, storageGiB: 100, startedAt: at("2026-12-02T00:00:00Z") });
  await add({ cpuMillicores: 4000, startedAt: at("2026-12-02T00:00:00Z") }, other.id);
  await add({ cpuMillicores: 4000, startedAt: at("2026-12-12T00:00:00Z") });
  return { team, other, open };
}

describe("the monthly CPU budget", () => {
  it("sums cpu × the part of each compute interval inside this month, open ones up to now", async () => {
    const { team, other } = await monthOfIntervals("budget");

    expect(await monthToDateCoreHours(team.id, NOW)).toBeCloseTo(17.5, 6);
    // An hour later the open interval has used another half core-hour.
    expect(await monthToDateCoreHours(team.id, new Date(NOW.getTime() + HOUR))).toBeCloseTo(18, 6);
    // On the first of the next month the count starts again: the two open intervals' first 2 h, 0.5 + 4 cores.
    expect(await monthToDateCoreHours(team.id, at("2027-01-01T02:00:00Z"))).toBeCloseTo(9, 6);
    expect(await monthToDateCoreHours(other.id, NOW)).toBeCloseTo(9 * 24 * 4, 6);

    expect(await teamBudget(team.id, { now: NOW })).toBeNull();
    await getDb().teamQuota.create({ data: { teamId: team.id, scope: "LIMIT", monthlyCpuCoreHours: 20 } });
    expect(await teamBudget(team.id, { now: NOW })).toMatchObject({ budgetCoreHours: 20, level: "warning", monthStart: at("2026-12-01T00:00:00Z") });
    // The platform's ceiling is stricter: it is the budget.
    await getDb().teamQuota.create({ data: { teamId: team.id, scope: "CEILING", monthlyCpuCoreHours: 15 } });
    expect(await teamBudget(team.id, { now: NOW })).toMatchObject({ budgetCoreHours: 15, level: "exhausted" });
  });

  it("counts the same however far the daily rollups have got, and as intervals close after them", async () => {
    // As in the test above: 4 + 12 + 1.5 core-hours at NOW.
    const { team, other, open } = await monthOfIntervals("rolled");

    // Halfway through the closed interval, then up to now: what the rollups hold and what they don't add up to the same.
    for (const rolledUpTo of [at("2026-12-05T11:00:00Z"), NOW]) {
      await rollUpUsage(getBackgroundDb(), rolledUpTo);
      expect(await monthToDateCoreHours(team.id, NOW)).toBeCloseTo(17.5, 6);
      expect(await monthToDateCoreHours(other.id, NOW)).toBeCloseTo(9 * 24 * 4, 6);
    }
    expect(await getDb().usageTeamDailyRollup.count({ where: { teamId: team.id } })).toBeGreaterThan(0);

    // The open interval closes half an hour after the last pass: its backlog row holds the half hour the rollups don't.
    await getDb().usageInterval.updateMany({ where: { workspaceId: open, endedAt: null }, data: { endedAt: new Date(NOW.getTime() + HOUR / 2) } });
    expect(await monthToDateCoreHours(team.id, new Date(NOW.getTime() + HOUR))).toBeCloseTo(17.75, 6);
    await rollUpUsage(getBackgroundDb(), new Date(NOW.getTime() + HOUR));
    expect(await monthToDateCoreHours(team.id, new Date(NOW.getTime() + HOUR))).toBeCloseTo(17.75, 6);
    // Next month starts from zero: of this team only the interval opened on the 12th runs into it, 4 cores for 2 h.
    expect(await monthToDateCoreHours(team.id, at("2027-01-01T02:00:00Z"))).toBeCloseTo(8, 6);
  });

  it("warns from 80 % and is exhausted from 100 %", () => {
    expect(budgetLevel(79.9, 100)).toBe("ok");
    expect(budgetLevel(80, 100)).toBe("warning");
    expect(budgetLevel(99.99, 100)).toBe("warning");
    expect(budgetLevel(100, 100)).toBe("exhausted");
    expect(budgetLevel(0, 0)).toBe("exhausted");
  });

  it("refuses starts once the budget is used up, naming the numbers", async () => {
    const owner = await createUser("owner@spent.test");
    const team = await createTeamWith("spent", [[owner, "OWNER"]]);
    const version = await getDb().templateVersion.create({
      data: { version: 1, spec: {}, template: { create: { slug: "spent", name: "Spent" } } },
    });
    const workspace = await getDb().workspace.create({
      data: {
        name: "w",
        ownerId: owner.id,
        teamId: team.id,
        templateVersionId: version.id,
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
        state: "STOPPED",
        desiredState: "STOPPED",
      },
    });
    await getDb().teamQuota.create({ data: { teamId: team.id, scope: "LIMIT", monthlyCpuCoreHours: 10 } });
    // 9 core-hours used earlier today (or at the start of the month, whichever is later).
    const now = Date.now();
    const start = new Date(Math.max(now - 3 * HOUR, Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1)));
    const cores = 9 / ((now - start.getTime()) / HOUR);
    await interval(team.id, owner.id, { cpuMillicores: Math.round(cores * 1000), startedAt: start, endedAt: new Date(now) });
    const actor = await actorFor(owner);
    await expect(operateWorkspace(actor, { workspaceId: workspace.id, operation: "start" })).resolves.toBeUndefined();
    await operateWorkspace(actor, { workspaceId: workspace.id, operation: "stop" });

    await interval(team.id, owner.id, { cpuMillicores: 1000, startedAt: new Date(now - HOUR), endedAt: new Date(now) });
    await expect(operateWorkspace(actor, { workspaceId: workspace.id, operation: "start" })).rejects.toMatchObject({
      code: "quota",
      message: expect.stringMatching(/^Team spent has used 10(\.\d+)? of its 10 CPU core-hours this month; new starts wait/),
    });
  });
});
