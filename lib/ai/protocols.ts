import { z } from "zod";
import type { AiProvider } from "./config";
import type { Usage } from "./cost";
import { secretVariable } from "@/lib/env";

// The two wire protocols the gateway speaks, both to workspaces and to
// providers: OpenAI's chat completions and Anthropic's Messages. The gateway
// forwards a request as it came, but for the model (the provider's), an
// explicit output cap (its worst case was reserved with it, for each choice) and, for an
// OpenAI stream, a final usage chunk (stream_options.include_usage), then
// reads each protocol's usage from the answer.

export type ProtocolName = AiProvider["type"];

const message = z.object({ role: z.string(), content: z.unknown() }).loose();

const openaiRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    stream: z.boolean().optional(),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    n: z.number().int().positive().optional(),
    tools: z.unknown().optional(),
  })
  .loose();

const anthropicRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    max_tokens: z.number().int().positive(),
    system: z.unknown().optional(),
    stream: z.boolean().optional(),
    tools: z.unknown().optional(),
  })
  .loose();

export interface ParsedRequest {
  body: Record<string, unknown>;
  model: string;
  stream: boolean;
  /** The output cap the request asked for, if any: of each choice. */
  maxOutputTokens: number | undefined;
  /** How many answers it asks for (OpenAI's n), each up to the cap, all billed. */
  choices: number;
  /**
   * What counts as its input (inputBound): all of it, not just its messages,
   * system prompt and tools. Providers bill more as input (OpenAI's legacy
   * functions, a response_format's schema), and the body goes on as it came.
   */
  inputParts: unknown;
  /** The text of its last user message, for the routing rules. */
  lastUserText: string;
}

/** A message's text: a string, or the text parts of a list of content blocks. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (part && typeof part === "object" && "text" in part && typeof part.text === "string" ? part.text : "")).join("\n");
}

export function parseRequest(protocol: ProtocolName, json: unknown): ParsedRequest {
  const lastUser = (messages: { role: string; content?: unknown }[]) => textOf(messages.findLast((m) => m.role === "user")?.content);
  if (protocol === "openai") {
    const body = openaiRequest.parse(json);
    return {
      body,
      model: body.model,
      stream: body.stream === true,
      maxOutputTokens: body.max_completion_tokens ?? body.max_tokens,
      choices: body.n ?? 1,
      inputParts: body,
      lastUserText: lastUser(body.messages),
    };
  }
  const body = anthropicRequest.parse(json);
  return {
    body,
    model: body.model,
    stream: body.stream === true,
    maxOutputTokens: body.max_tokens,
    choices: 1,
    inputParts: body,
    lastUserText: lastUser(body.messages),
  };
}

/**
 * The client's headers a provider is sent: Anthropic's API version and beta
 * features, which tools built on it (Claude Code) rely on. Nothing else of
 * the client's, least of all its key.
 */
const FORWARDED_HEADERS = ["anthropic-version", "anthropic-beta"];

/** The request as sent to `provider`: its model, the reserved output cap, and usage at the end of an OpenAI stream. */
export function upstreamRequest(provider: AiProvider, parsed: ParsedRequest, model: string, maxOutputTokens: number, clientHeaders: Headers): { url: string; init: RequestInit } {
  const key = provider.apiKeyEnv ? secretVariable(provider.apiKeyEnv) : undefined;
  if (provider.type === "openai") {
    const rest = { ...parsed.body };
    // One cap, under the name the client used: OpenAI's reasoning models refuse max_tokens and take only
    // max_completion_tokens; max_tokens otherwise, which every OpenAI-compatible server knows (vLLM, Ollama, llama.cpp).
    const capField = rest.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens";
    delete rest.max_tokens;
    delete rest.max_completion_tokens;
    const body = {
      ...rest,
      model,
      [capField]: maxOutputTokens,
      ...(parsed.stream ? { stream_options: { ...(rest.stream_options as object | undefined), include_usage: true } } : {}),
    };
    return {
      url: `${provider.baseUrl}/chat/completions`,
      init: { method: "POST", headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify(body) },
    };
  }
  return {
    url: `${provider.baseUrl}/messages`,
    init: {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        ...Object.fromEntries(FORWARDED_HEADERS.flatMap((name) => (clientHeaders.has(name) ? [[name, clientHeaders.get(name)!]] : []))),
        ...(key ? { "x-api-key": key } : {}),
      },
      body: JSON.stringify({ ...parsed.body, model, max_tokens: maxOutputTokens }),
    },
  };
}

const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0);

/** The usage in a whole (not streamed) answer, if it has one. */
export function usageOfBody(protocol: ProtocolName, json: unknown): Usage | null {
  const usage = (json as { usage?: Record<string, unknown> } | null)?.usage;
  if (!usage) return null;
  return protocol === "openai"
    ? { inputTokens: count(usage.prompt_tokens), outputTokens: count(usage.completion_tokens) }
    : { inputTokens: anthropicInput(usage), outputTokens: count(usage.output_tokens) };
}

/** Anthropic counts cached input apart; all of it is input the provider bills. */
const anthropicInput = (usage: Record<string, unknown>) => count(usage.input_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens);

/**
 * Reads usage from a stream's events as they pass. OpenAI: the final chunk's
 * `usage`. Anthropic: message_start's input tokens, then message_delta's
 * output tokens (a running total; the last one is final). message_start's
 * output tokens are the answer's first, not its count: a stream abandoned
 * after them is charged its output cap, like an OpenAI stream without usage.
 */
export class StreamUsage {
  input: number | null = null;
  output: number | null = null;

  constructor(private readonly protocol: ProtocolName) {}

  onEvent(data: string): void {
    if (data === "[DONE]") return;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    if (this.protocol === "openai") {
      const usage = event.usage as Record<string, unknown> | null | undefined;
      if (usage) {
        this.input = count(usage.prompt_tokens);
        this.output = count(usage.completion_tokens);
      }
      return;
    }
    if (event.type === "message_start") {
      const usage = (event.message as { usage?: Record<string, unknown> } | undefined)?.usage;
      if (usage) this.input = anthropicInput(usage);
    } else if (event.type === "message_delta") {
      const usage = event.usage as Record<string, unknown> | undefined;
      if (usage && "output_tokens" in usage) this.output = count(usage.output_tokens);
      // Newer API versions may restate the input here.
      if (usage && "input_tokens" in usage && usage.input_tokens !== null) this.input = anthropicInput(usage);
    }
  }

  /** The usage once the stream has ended normally; null when the provider reported none. */
  get final(): Usage | null {
    return this.input === null || this.output === null ? null : { inputTokens: this.input, outputTokens: this.output };
  }
}

/** An error in the protocol's own shape, so the client's SDK shows the message. */
export function protocolError(protocol: ProtocolName, status: number, type: string, message: string, headers: Record<string, string> = {}): Response {
  const body = protocol === "openai" ? { error: { message, type, code: type } } : { type: "error", error: { type, message } };
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}
