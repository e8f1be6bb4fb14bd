import { createParser } from "eventsource-parser";
import { ZodError } from "zod";
import { API_ERROR_STATUS, ApiError } from "@/lib/api/errors";
import { readJsonBody } from "@/lib/api/json-body";
import { assertRateLimit } from "@/lib/api/rate-limit";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/observability/logger";
import { metrics } from "@/lib/observability/metrics";
import { BudgetExceeded, reserve, settle, type Reservation } from "./budget";
import { aiBudgetRows } from "./budget-settings";
import { authenticateCaller, type Caller } from "./caller";
import { aiGateway, type AiGatewayState } from "./config";
import { costMicros, inputBound, worstCase, type Usage } from "./cost";
import { parseRequest, protocolError, StreamUsage, upstreamRequest, usageOfBody, type ParsedRequest, type ProtocolName } from "./protocols";
import { allowedBy, AUTO_MODEL, routeRequest, TASK_HEADER, type Route, type Target } from "./router";
import { recordAiRequest } from "./usage";

// One gateway request, in this order: who calls and whose budget it spends
// (before anything of the body is read), the rate limit, the body, the route
// (alias, task class or rule → provider models), the team's allow-list, the
// worst case reserved on the budgets, then the models in turn until one
// answers (the next one after a 429, a 5xx or no answer), its answer
// streamed through as it comes while its usage is read, and the reservation
// settled with that usage exactly once, however the request ends.

/** The longest a request may take, stream included; its reservation outlives it by a margin, so only a dead replica's expires. */
const REQUEST_TIMEOUT_MS = 10 * 60_000;
const RESERVATION_TTL_MS = REQUEST_TIMEOUT_MS + 5 * 60_000;
/** Prompts are large, but not this large. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** From this share of a budget on, answers carry a warning header. */
const WARN_SHARE = 0.8;
export const BUDGET_HEADER = "x-podspace-ai-budget";
export const MODEL_HEADER = "x-podspace-ai-model";

export async function handleGatewayRequest(protocol: ProtocolName, request: Request, state: AiGatewayState = aiGateway()): Promise<Response> {
  const started = Date.now();
  let caller: Caller | undefined;
  try {
    if (!state.on) return protocolError(protocol, 503, "unavailable", `The AI gateway is off: ${state.reason}.`);
    caller = await authenticateCaller(request.headers);
    await assertRateLimit(caller.rateKey);
    const parsed = parseRequest(protocol, await readJsonBody(request, MAX_BODY_BYTES));
    const settings = await aiBudgetRows(caller.teamId);
    const route = routeRequest(state.config, protocol, { model: parsed.model, task: request.headers.get(TASK_HEADER), lastUserText: parsed.lastUserText });
    if (!allowedBy(settings.effective.allowedModels, route)) {
      metrics.aiRequests.inc({ provider: "", model: route.name, outcome: "denied" });
      throw new AppError("forbidden", `Your team doesn't allow ${route.name}; it allows ${settings.effective.allowedModels.join(", ")}.`, "model");
    }
    const maxOutputTokens = parsed.maxOutputTokens ?? Math.min(...route.targets.map((target) => target.model.maxOutputTokens));
    const inputTokens = inputBound(parsed.inputParts);
    // The cap is per choice: each of them may use all of it.
    const outputTokens = maxOutputTokens * parsed.choices;
    const worst = worstCase(
      route.targets.map((target) => target.model),
      inputTokens,
      outputTokens,
    );
    const reservation = await reserve({ teamId: caller.teamId, userId: caller.userId, worst, limits: settings.effective, ttlMs: RESERVATION_TTL_MS });
    const exchange = new Exchange(protocol, caller, route, parsed, reservation, { inputTokens, outputTokens }, maxOutputTokens, started);
    return await exchange.run(request);
  } catch (error) {
    return errorResponse(protocol, error, caller);
  }
}

/**
 * GET /v1/models in OpenAI's shape: the names the caller's team may ask for
 * (aliases, `auto`, provider models), which editor extensions list to choose from.
 */
export async function handleModelsRequest(request: Request, state: AiGatewayState = aiGateway()): Promise<Response> {
  let caller: Caller | undefined;
  try {
    if (!state.on) return protocolError("openai", 503, "unavailable", `The AI gateway is off: ${state.reason}.`);
    caller = await authenticateCaller(request.headers);
    await assertRateLimit(caller.rateKey);
    const { allowedModels } = (await aiBudgetRows(caller.teamId)).effective;
    const names = [AUTO_MODEL, ...Object.keys(state.config.aliases), ...state.config.providers.flatMap((provider) => provider.models.map((model) => `${provider.id}/${model.name}`))];
    const allowed = names.filter((name) => name === AUTO_MODEL || allowedModels.length === 0 || allowedModels.includes(name));
    return Response.json({ object: "list", data: allowed.map((id) => ({ id, object: "model", created: 0, owned_by: "podspace" })) }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse("openai", error, caller);
  }
}


/** A request that holds a reservation: it settles it exactly once, whatever happens. */
class Exchange {
  private settled = false;

  constructor(
    private readonly protocol: ProtocolName,
    private readonly caller: Caller,
    private readonly route: Route,
    private readonly parsed: ParsedRequest,
    private readonly reservation: Reservation,
    /** The request's bounds: its input at most, its output cap times its choices. */
    private readonly bounds: Usage,
    /** The output cap of one choice, as the provider is sent it. */
    private readonly maxOutputTokens: number,
    private readonly started: number,
  ) {}

  async run(request: Request): Promise<Response> {
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
    let lastStatus = 502;
    try {
      for (const target of this.route.targets) {
        const { url, init } = upstreamRequest(target.provider, this.parsed, target.model.name, this.maxOutputTokens, request.headers);
        let upstream: Response;
        try {
          upstream = await fetch(url, { ...init, signal });
        } catch (error) {
          if (signal.aborted) {
            // The client left, or time ran out, while the provider worked on the request: it bills for it all the same, so it is charged its bounds.
            await this.finish(target, "aborted", this.bounds);
            throw error;
          }
          logger.warn({ err: error, provider: target.provider.id }, "AI gateway: a provider did not answer; trying the next model");
          metrics.aiRequests.inc({ provider: target.provider.id, model: target.model.name, outcome: "fallback" });
          continue;
        }
        if (upstream.status === 429 || upstream.status >= 500) {
          lastStatus = upstream.status;
          await upstream.body?.cancel().catch(() => {});
          metrics.aiRequests.inc({ provider: target.provider.id, model: target.model.name, outcome: "fallback" });
          continue;
        }
        if (!upstream.ok) {
          // The provider refused the request itself (a 400): the next model would too. It served nothing.
          const text = await upstream.text();
          await this.finish(target, "rejected", { inputTokens: 0, outputTokens: 0 });
          return new Response(text, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
        }
        return this.parsed.stream ? this.streamed(target, upstream) : await this.whole(target, upstream);
      }
      await this.finish(null, "failed", { inputTokens: 0, outputTokens: 0 });
      return protocolError(
        this.protocol,
        lastStatus === 429 ? 429 : 502,
        lastStatus === 429 ? "rate_limit_error" : "api_error",
        `Every model for ${this.route.name} failed or was rate limited (last: ${lastStatus}); try again shortly.`,
      );
    } finally {
      // Whatever threw before an answer was handed on: nothing was served.
      if (!this.handedOn) await this.finish(null, "failed", { inputTokens: 0, outputTokens: 0 });
    }
  }

  private handedOn = false;

  private headers(target: Target, upstream: Response): Record<string, string> {
    const share = this.reservation.share;
    return {
      "content-type": upstream.headers.get("content-type") ?? (this.parsed.stream ? "text/event-stream" : "application/json"),
      "cache-control": "no-store",
      [MODEL_HEADER]: `${target.provider.id}/${target.model.name}`,
      ...(share >= WARN_SHARE ? { [BUDGET_HEADER]: `${Math.floor(share * 100)}% of the monthly AI budget is used` } : {}),
    };
  }

  private async whole(target: Target, upstream: Response): Promise<Response> {
    let text: string;
    try {
      text = await upstream.text();
    } catch (error) {
      // Served, though the client left (or time ran out) before it all arrived: charged its bounds, as its usage came with it.
      await this.finish(target, "aborted", this.bounds);
      throw error;
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: no usage in it, charged at its bounds below.
    }
    const usage = usageOfBody(this.protocol, json);
    await this.finish(target, usage ? "ok" : "no-usage", usage ?? this.bounds);
    this.handedOn = true;
    return new Response(text, { status: upstream.status, headers: this.headers(target, upstream) });
  }

  /** Passes the provider's stream on as it comes, reading its usage on the way; settles when it ends, fails or the client leaves. */
  private streamed(target: Target, upstream: Response): Response {
    const reader = upstream.body!.getReader();
    const usage = new StreamUsage(this.protocol);
    const parser = createParser({ onEvent: (event) => usage.onEvent(event.data) });
    const decoder = new TextDecoder();
    /** Usage that isn't known is charged at the request's bounds: a budget must not be undercounted. */
    const known = (): Usage => usage.final ?? { inputTokens: usage.input ?? this.bounds.inputTokens, outputTokens: this.bounds.outputTokens };
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const chunk = await reader.read();
          // Settled before the client sees the end: once a client has its answer, its budget shows it.
          if (chunk.done) {
            await this.finish(target, usage.final ? "ok" : "no-usage", known());
            controller.close();
            return;
          }
          parser.feed(decoder.decode(chunk.value, { stream: true }));
          controller.enqueue(chunk.value);
        } catch (error) {
          await this.finish(target, "aborted", known());
          controller.error(error);
        }
      },
      cancel: async (reason) => {
        await reader.cancel(reason).catch(() => {});
        await this.finish(target, "aborted", known());
      },
    });
    this.handedOn = true;
    return new Response(body, { status: upstream.status, headers: this.headers(target, upstream) });
  }

  /** Settles the reservation with `usage` of `target` (null: no model served), and records the request; once. */
  private async finish(target: Target | null, outcome: string, usage: Usage): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    const cost = target ? costMicros(target.model, usage) : 0;
    try {
      await settle(this.reservation, { tokens: usage.inputTokens + usage.outputTokens, costMicros: cost });
    } catch (error) {
      // Left reserved, it is released (at its worst case) when it expires.
      logger.error({ err: error, reservation: this.reservation.id }, "AI gateway: settling a budget reservation failed");
    }
    await recordAiRequest({
      caller: this.caller,
      protocol: this.protocol,
      alias: this.route.alias,
      provider: target?.provider.id ?? "",
      model: target?.model.name ?? "",
      outcome,
      usage,
      costMicros: cost,
      durationMs: Date.now() - this.started,
    });
  }
}

/** A failure before or instead of an answer, in the protocol's error shape. */
function errorResponse(protocol: ProtocolName, error: unknown, caller: Caller | undefined): Response {
  if (error instanceof BudgetExceeded) {
    metrics.aiRequests.inc({ provider: "", model: "", outcome: "budget" });
    // x-should-retry: false tells OpenAI's and Anthropic's SDKs not to retry what only a new month or a larger budget fixes.
    return protocolError(protocol, 429, protocol === "openai" ? "insufficient_quota" : "rate_limit_error", `${error.message}; a team admin can raise it on the team's Settings page.`, {
      "x-should-retry": "false",
    });
  }
  if (error instanceof ApiError || error instanceof AppError) {
    const headers = error instanceof ApiError ? error.headers : {};
    return protocolError(protocol, API_ERROR_STATUS[error.code], error.code, error.message, headers);
  }
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    return protocolError(protocol, 422, "invalid", `${issue?.path.join(".") || "request"}: ${issue?.message ?? "invalid"}`);
  }
  if (error instanceof DOMException && error.name === "AbortError") return protocolError(protocol, 499, "aborted", "The request was aborted.");
  if (error instanceof DOMException && error.name === "TimeoutError") return protocolError(protocol, 504, "timeout", `The provider took longer than ${REQUEST_TIMEOUT_MS / 60_000} minutes to answer.`);
  logger.error({ err: error, teamId: caller?.teamId }, "AI gateway: a request failed unexpectedly");
  return protocolError(protocol, 500, "internal", "Something went wrong in Podspace's AI gateway; it was logged.");
}
