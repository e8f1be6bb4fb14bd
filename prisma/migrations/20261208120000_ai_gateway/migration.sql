-- The AI gateway (lib/ai): each team's budgets and model allow-list (a LIMIT
-- its admins set within a CEILING platform admins set, like TeamQuota), the
-- month's counters that reservations are taken against atomically, the
-- reservations in flight (so a crashed replica's are released when they
-- expire), and one metadata row per request (never the prompt or the
-- completion).

CREATE TABLE "AiBudget" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "scope" "QuotaScope" NOT NULL,
    "monthlyTokens" BIGINT,
    "monthlyCostMicros" BIGINT,
    "memberMonthlyTokens" BIGINT,
    "memberMonthlyCostMicros" BIGINT,
    "allowedModels" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "AiBudget_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "AiBudget_teamId_scope_key" ON "AiBudget"("teamId", "scope");
ALTER TABLE "AiBudget" ADD CONSTRAINT "AiBudget_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- userId is '' on the team's own row, a user's id on a member's.
CREATE TABLE "AiBudgetCounter" (
    "teamId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "usedTokens" BIGINT NOT NULL DEFAULT 0,
    "reservedTokens" BIGINT NOT NULL DEFAULT 0,
    "usedCostMicros" BIGINT NOT NULL DEFAULT 0,
    "reservedCostMicros" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "AiBudgetCounter_pkey" PRIMARY KEY ("teamId", "userId", "period")
);
ALTER TABLE "AiBudgetCounter" ADD CONSTRAINT "AiBudgetCounter_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "AiReservation" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "tokens" BIGINT NOT NULL,
    "costMicros" BIGINT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AiReservation_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AiReservation_expiresAt_idx" ON "AiReservation"("expiresAt");
ALTER TABLE "AiReservation" ADD CONSTRAINT "AiReservation_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "AiUsage" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "teamId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "workspaceId" TEXT,
    "apiTokenId" TEXT,
    "protocol" TEXT NOT NULL,
    "alias" TEXT,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "inputTokens" INTEGER NOT NULL,
    "outputTokens" INTEGER NOT NULL,
    "costMicros" BIGINT NOT NULL,
    "durationMs" INTEGER NOT NULL,
    CONSTRAINT "AiUsage_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AiUsage_teamId_at_idx" ON "AiUsage"("teamId", "at");
CREATE INDEX "AiUsage_userId_at_idx" ON "AiUsage"("userId", "at");
ALTER TABLE "AiUsage" ADD CONSTRAINT "AiUsage_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
