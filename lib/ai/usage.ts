import { getDb } from "@/lib/db/client";
import { logger } from "@/lib/observability/logger";
import { metrics } from "@/lib/observability/metrics";
import type { Caller } from "./caller";
import type { Usage } from "./cost";
import type { ProtocolName } from "./protocols";

// What each gateway request cost, one metadata row per request (who, which
// model, tokens, cost, outcome; never the prompt or the completion), and its
// metrics. The usage pages and CSV read these rows (ai-report.ts).

export interface AiRequestRecord {
  caller: Caller;
  protocol: ProtocolName;
  alias: string | null;
  provider: string;
  model: string;
  outcome: string;
  usage: Usage;
  costMicros: number;
  durationMs: number;
}

export async function recordAiRequest(record: AiRequestRecord): Promise<void> {
  const { caller, usage } = record;
  metrics.aiRequests.inc({ provider: record.provider, model: record.model, outcome: record.outcome });
  metrics.aiTokens.inc({ provider: record.provider, model: record.model, direction: "input" }, usage.inputTokens);
  metrics.aiTokens.inc({ provider: record.provider, model: record.model, direction: "output" }, usage.outputTokens);
  metrics.aiCost.inc({ provider: record.provider, model: record.model }, record.costMicros / 1e6);
  try {
    await getDb().aiUsage.create({
      data: {
        teamId: caller.teamId,
        userId: caller.userId,
        workspaceId: caller.workspaceId,
        apiTokenId: caller.apiTokenId,
        protocol: record.protocol,
        alias: record.alias,
        provider: record.provider,
        model: record.model,
        outcome: record.outcome,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        costMicros: BigInt(record.costMicros),
        durationMs: record.durationMs,
      },
    });
  } catch (error) {
    // The budget counters are settled already; a lost row only thins the report.
    logger.error({ err: error, teamId: caller.teamId }, "AI gateway: recording a request's usage failed");
  }
}
