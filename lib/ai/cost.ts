import type { AiModel } from "./config";
import type { Spend } from "./budget";

// What a request may cost before it runs, and what it did cost after.

/** Tokens a provider reported for one request. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * An upper bound on a request's input tokens without the model's tokenizer:
 * the UTF-8 bytes of its JSON, all of it (messages, system prompt, tools and
 * whatever else a provider reads). A token is at least one byte of text, and
 * the JSON's quotes, keys and brackets outnumber the few tokens a chat
 * template adds around each message.
 */
export function inputBound(parts: unknown): number {
  return Buffer.byteLength(JSON.stringify(parts), "utf8");
}

/** Millionths of a USD: prices are per million tokens, so a token costs its price in micros; rounded up, never down. */
export function costMicros(model: Pick<AiModel, "inputPerMillion" | "outputPerMillion">, usage: Usage): number {
  return Math.ceil(usage.inputTokens * model.inputPerMillion + usage.outputTokens * model.outputPerMillion);
}

/** The worst case of a request that may be served by any of `models`: its bounds at the dearest of their prices. */
export function worstCase(models: readonly AiModel[], inputTokens: number, maxOutputTokens: number): Spend {
  const usage = { inputTokens, outputTokens: maxOutputTokens };
  return { tokens: inputTokens + maxOutputTokens, costMicros: Math.max(...models.map((model) => costMicros(model, usage))) };
}
