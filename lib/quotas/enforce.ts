import type { Prisma } from "@/lib/generated/prisma/client";
import { openQuotaLedger, type QuotaDecision, type QuotaRequest } from "./ledger";

// One quota check inside the caller's transaction: a ledger of one decision
// (lib/quotas/ledger.ts says how it stays race-free).

export type { QuotaRequest };

/**
 * Options for transactions that check a quota: requests in one team queue on
 * its row lock, so a burst of them waits longer than Prisma's 2 s default
 * before a transaction starts.
 */
export const QUOTA_TRANSACTION = { maxWait: 30_000, timeout: 15_000 } as const;

/** Throws a "quota" AppError naming the limit and the numbers when the request doesn't fit. */
export async function assertWithinQuota(
  tx: Prisma.TransactionClient,
  team: QuotaDecision["team"],
  /** Null: a warm pool's workspace, which is no member's, so only the team's limits apply. */
  ownerId: string | null,
  request: QuotaRequest,
): Promise<void> {
  const decision = { team, ownerId, request };
  (await openQuotaLedger(tx, [decision])).admit(decision);
}
