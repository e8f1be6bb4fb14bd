import { getDb } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { logger } from "@/lib/observability/logger";
import type { AiLimits } from "./budget-settings";

// Budgets that hold under concurrency. Before a request goes to a provider,
// its worst case (its input plus its max_tokens, at the dearest price of the
// models it may fall back to) is reserved on the month's counters of its team
// and of its member, each with one conditional UPDATE that adds the worst
// case only if used + reserved + worst stays within the limit: the row lock
// makes concurrent reservations queue, and each sees the others' totals, so
// no number of concurrent requests can overshoot. When the request ends its
// reservation is settled: the worst case leaves `reserved`, the real usage
// joins `used`. Each reservation is a row too, so settling twice does
// nothing, and one whose replica died holding it is released when it
// expires, charged its worst case (the provider may well have served it).

/** The month a request counts in: UTC, like the compute usage's months. */
export const periodOf = (at: Date) => at.toISOString().slice(0, 7);

export interface Spend {
  tokens: number;
  costMicros: number;
}

export interface Reservation {
  id: string;
  teamId: string;
  userId: string;
  period: string;
  worst: Spend;
  /** The larger share of a limit the team or member has reached with this reservation, 0–1 (0 without limits). */
  share: number;
}

/** The team's own counter row has this user id. */
const TEAM_ROW = "";

export class BudgetExceeded extends Error {
  override name = "BudgetExceeded";
}

type Counter = { usedTokens: bigint; reservedTokens: bigint; usedCostMicros: bigint; reservedCostMicros: bigint };

const RESERVE_TRANSACTION = { maxWait: 30_000, timeout: 15_000 } as const;

/**
 * Reserves `worst` on the team's and the member's counters of this month, or
 * throws BudgetExceeded saying whose budget it would pass. Both rows or
 * neither: the member's refusal rolls the team's reservation back.
 */
export async function reserve(input: { teamId: string; userId: string; worst: Spend; limits: AiLimits; ttlMs: number; now?: Date }): Promise<Reservation> {
  await releaseExpired();
  const now = input.now ?? new Date();
  const period = periodOf(now);
  const { teamId, userId, worst, limits } = input;
  const db = getDb();
  await db.$executeRaw`INSERT INTO "AiBudgetCounter" ("teamId", "userId", "period") VALUES (${teamId}, ${TEAM_ROW}, ${period}), (${teamId}, ${userId}, ${period}) ON CONFLICT DO NOTHING`;
  return db.$transaction(async (tx) => {
    // The team's row first, then the member's: every reservation locks in this order, so two never wait on each other.
    const team = await take(tx, teamId, TEAM_ROW, period, worst, limits.teamTokens, limits.teamCostMicros);
    if (!team) throw new BudgetExceeded("The team's monthly AI budget is spent");
    const member = await take(tx, teamId, userId, period, worst, limits.memberTokens, limits.memberCostMicros);
    if (!member) throw new BudgetExceeded("Your monthly AI budget in this team is spent");
    const row = await tx.aiReservation.create({
      data: { teamId, userId, period, tokens: BigInt(worst.tokens), costMicros: BigInt(worst.costMicros), expiresAt: new Date(now.getTime() + input.ttlMs) },
      select: { id: true },
    });
    const share = Math.max(
      shareOf(team.usedTokens + team.reservedTokens, limits.teamTokens),
      shareOf(team.usedCostMicros + team.reservedCostMicros, limits.teamCostMicros),
      shareOf(member.usedTokens + member.reservedTokens, limits.memberTokens),
      shareOf(member.usedCostMicros + member.reservedCostMicros, limits.memberCostMicros),
    );
    return { id: row.id, teamId, userId, period, worst, share };
  }, RESERVE_TRANSACTION);
}

async function take(tx: Prisma.TransactionClient, teamId: string, userId: string, period: string, worst: Spend, maxTokens: number | null, maxCost: number | null): Promise<Counter | undefined> {
  const tokens = BigInt(worst.tokens);
  const cost = BigInt(worst.costMicros);
  const rows = await tx.$queryRaw<Counter[]>`
    UPDATE "AiBudgetCounter"
    SET "reservedTokens" = "reservedTokens" + ${tokens}, "reservedCostMicros" = "reservedCostMicros" + ${cost}
    WHERE "teamId" = ${teamId} AND "userId" = ${userId} AND "period" = ${period}
      AND (${maxTokens}::bigint IS NULL OR "usedTokens" + "reservedTokens" + ${tokens} <= ${maxTokens}::bigint)
      AND (${maxCost}::bigint IS NULL OR "usedCostMicros" + "reservedCostMicros" + ${cost} <= ${maxCost}::bigint)
    RETURNING "usedTokens", "reservedTokens", "usedCostMicros", "reservedCostMicros"`;
  return rows[0];
}

const shareOf = (value: bigint, limit: number | null) => (limit === null ? 0 : limit === 0 ? 1 : Number(value) / limit);

/**
 * Ends a reservation: its worst case leaves `reserved` and `actual` joins
 * `used`, on both rows at once. A reservation already released (it expired
 * first, charged its worst case) is left as it is. Returns whether this call released it.
 */
export async function settle(reservation: Pick<Reservation, "id" | "teamId" | "userId" | "period">, actual: Spend): Promise<boolean> {
  return getDb().$transaction(async (tx) => {
    const released = await tx.$queryRaw<{ tokens: bigint; costMicros: bigint }[]>`
      DELETE FROM "AiReservation" WHERE "id" = ${reservation.id} RETURNING "tokens", "costMicros"`;
    const held = released[0];
    // Already released by the sweep, which charged the worst case: nothing more to add.
    if (!held) return false;
    await tx.$executeRaw`
      UPDATE "AiBudgetCounter"
      SET "reservedTokens" = "reservedTokens" - ${held.tokens}, "reservedCostMicros" = "reservedCostMicros" - ${held.costMicros},
          "usedTokens" = "usedTokens" + ${BigInt(actual.tokens)}, "usedCostMicros" = "usedCostMicros" + ${BigInt(actual.costMicros)}
      WHERE "teamId" = ${reservation.teamId} AND "userId" IN (${TEAM_ROW}, ${reservation.userId}) AND "period" = ${reservation.period}`;
    return true;
  }, RESERVE_TRANSACTION);
}

/** How often a replica looks for expired reservations: their release is not urgent, a request's time is. */
const SWEEP_INTERVAL_MS = 30_000;
let lastSweep = 0;

/**
 * Releases the reservations whose request's replica died before settling
 * them (a live request settles well before its reservation expires), each
 * charged its worst case: what the provider served is unknown.
 */
export async function releaseExpired(now = new Date(), force = false): Promise<number> {
  if (!force && now.getTime() - lastSweep < SWEEP_INTERVAL_MS) return 0;
  lastSweep = now.getTime();
  const expired = await getDb().aiReservation.findMany({ where: { expiresAt: { lt: now } }, select: { id: true, teamId: true, userId: true, period: true, tokens: true, costMicros: true } });
  let released = 0;
  for (const row of expired) {
    if (await settle(row, { tokens: Number(row.tokens), costMicros: Number(row.costMicros) })) released++;
  }
  if (released > 0) logger.warn({ released }, "AI gateway: released expired budget reservations (their requests' replica stopped), charged their worst case");
  return released;
}

/** The month's spending of the team and of each of its members (userId), settled and in flight. */
export async function monthSpending(teamId: string, at = new Date()): Promise<{ team: Spend & { reserved: Spend }; members: Map<string, Spend> }> {
  const rows = await getDb().aiBudgetCounter.findMany({ where: { teamId, period: periodOf(at) } });
  const teamRow = rows.find((row) => row.userId === TEAM_ROW);
  const members = new Map(rows.filter((row) => row.userId !== TEAM_ROW).map((row) => [row.userId, { tokens: Number(row.usedTokens), costMicros: Number(row.usedCostMicros) }]));
  return {
    team: {
      tokens: Number(teamRow?.usedTokens ?? 0n),
      costMicros: Number(teamRow?.usedCostMicros ?? 0n),
      reserved: { tokens: Number(teamRow?.reservedTokens ?? 0n), costMicros: Number(teamRow?.reservedCostMicros ?? 0n) },
    },
    members,
  };
}
