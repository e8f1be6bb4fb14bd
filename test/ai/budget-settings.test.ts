import { beforeAll, describe, expect, it } from "vitest";
import { periodOf, releaseExpired, reserve, settle, BudgetExceeded } from "@/lib/ai/budget";
import { aiBudgetRows, NO_AI_BUDGET, setAiBudget } from "@/lib/ai/budget-settings";
import { getDb } from "@/lib/db/client";
import type { Team, User } from "@/lib/generated/prisma/client";
import { aiBudgetFormSchema } from "@/lib/schemas/ai";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";

// A team's AI budgets as people set them (team admins within the platform's
// ceilings, audited), and the reservations' life: settled once, and released
// at their worst case when the replica that held them died.

useAppDatabase();

let platform: User;
let admin: User;
let member: User;
let team: Team;

beforeAll(async () => {
  platform = await createUser("ai-platform@example.com", { isPlatformAdmin: true });
  admin = await createUser("ai-team-admin@example.com");
  member = await createUser("ai-member@example.com");
  team = await createTeamWith("ai-budgets", [[admin, "ADMIN"], [member, "MEMBER"]]);
});

const values = (overrides: Partial<typeof NO_AI_BUDGET> = {}) => ({ ...NO_AI_BUDGET, ...overrides });

describe("setting a team's AI budget", () => {
  it("lets team admins set the limit within the platform's ceiling, and audits both", async () => {
    await setAiBudget(await actorFor(platform), { teamId: team.id, scope: "CEILING", values: values({ teamTokens: 1_000_000, allowedModels: ["small", "medium"] }) });
    await expect(setAiBudget(await actorFor(admin), { teamId: team.id, scope: "LIMIT", values: values({ teamTokens: 2_000_000 }) })).rejects.toThrow(
      /at most 1,000,000 tokens a month for the team/,
    );
    await expect(setAiBudget(await actorFor(admin), { teamId: team.id, scope: "LIMIT", values: values({ allowedModels: ["large"] }) })).rejects.toThrow(/doesn't allow large/);
    await setAiBudget(await actorFor(admin), { teamId: team.id, scope: "LIMIT", values: values({ teamTokens: 500_000, memberCostMicros: 2_000_000, allowedModels: ["small"] }) });
    const rows = await aiBudgetRows(team.id);
    expect(rows.effective).toEqual({ teamTokens: 500_000, teamCostMicros: null, memberTokens: null, memberCostMicros: 2_000_000, allowedModels: ["small"] });
    const audit = await auditLogFor(team.id);
    expect(audit.map((entry) => entry.action)).toEqual(expect.arrayContaining(["quota.ai-ceilings-changed", "quota.ai-budget-changed"]));
  });

  it("refuses members and ceilings set by anyone but platform admins", async () => {
    await expect(setAiBudget(await actorFor(member), { teamId: team.id, scope: "LIMIT", values: values() })).rejects.toThrow(/owners and admins/);
    await expect(setAiBudget(await actorFor(admin), { teamId: team.id, scope: "CEILING", values: values() })).rejects.toThrow(/platform admins/);
  });

  it("reads the form's amounts: USD to micros, empty to no limit, models as a list", () => {
    const parsed = aiBudgetFormSchema.parse({ teamId: team.id, scope: "LIMIT", teamTokens: "1,000", teamDollars: "$12.50", memberTokens: "", allowedModels: "small, large small" });
    expect(parsed.values).toEqual({ teamTokens: 1000, teamCostMicros: 12_500_000, memberTokens: null, memberCostMicros: null, allowedModels: ["small", "large"] });
    expect(aiBudgetFormSchema.safeParse({ teamId: team.id, scope: "LIMIT", teamTokens: "lots" }).success).toBe(false);
  });
});

describe("reservations", () => {
  const limits = { teamTokens: 100, teamCostMicros: null, memberTokens: null, memberCostMicros: null };
  const counter = async () =>
    getDb().aiBudgetCounter.findUniqueOrThrow({ where: { teamId_userId_period: { teamId: team.id, userId: "", period: periodOf(new Date()) } } });

  it("settles once, and releases an expired one (its replica died) at its worst case", async () => {
    const base = Number((await counter().catch(() => ({ usedTokens: 0n }))).usedTokens);
    const held = await reserve({ teamId: team.id, userId: member.id, worst: { tokens: 60, costMicros: 0 }, limits: { ...limits, teamTokens: base + 100 }, ttlMs: 60_000 });
    await expect(reserve({ teamId: team.id, userId: member.id, worst: { tokens: 41, costMicros: 0 }, limits: { ...limits, teamTokens: base + 100 }, ttlMs: 60_000 })).rejects.toThrow(BudgetExceeded);
    expect(await settle(held, { tokens: 10, costMicros: 0 })).toBe(true);
    expect(await settle(held, { tokens: 10, costMicros: 0 })).toBe(false);
    expect(await counter()).toMatchObject({ usedTokens: BigInt(base + 10), reservedTokens: 0n });

    const lost = await reserve({ teamId: team.id, userId: member.id, worst: { tokens: 30, costMicros: 0 }, limits: { ...limits, teamTokens: null }, ttlMs: 1 });
    expect(await releaseExpired(new Date(Date.now() + 1000), true)).toBe(1);
    expect(await counter()).toMatchObject({ usedTokens: BigInt(base + 40), reservedTokens: 0n });
    // Its request, had it lived on, can't charge it twice.
    expect(await settle(lost, { tokens: 5, costMicros: 0 })).toBe(false);
    expect((await counter()).usedTokens).toBe(BigInt(base + 40));
  });
});
