import http from "node:http";
import type { AddressInfo } from "node:net";

// A real HTTP server speaking the two protocols the gateway forwards to, for
// tests: OpenAI's /chat/completions (SSE `data: {...}` chunks, then a usage
// chunk when stream_options.include_usage asks, then [DONE]) and Anthropic's
// /messages (message_start with the input tokens, content_block_delta,
// message_delta with the output tokens, message_stop), or whole JSON
// answers. Every answer reports known usage: INPUT_TOKENS in, and
// min(max_tokens or max_completion_tokens, OUTPUT_TOKENS) out, for each of OpenAI's `n` choices (a
// whole answer carries them all; a stream, the first's text only). The first path segment is a provider
// name; `fail-429` and `fail-500` answer with that status instead.

export const INPUT_TOKENS = 12;
export const OUTPUT_TOKENS = 5;
export const COMPLETION = ["Hel", "lo ", "there", "!", ""];

export interface ReceivedRequest {
  provider: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeProvider {
  url: string;
  received: ReceivedRequest[];
  /** Streams send their first event, then wait until release() before the rest; whole answers wait before anything: requests pile up in flight. */
  hold(): { release(): void };
  close(): Promise<void>;
}

export async function startFakeProvider(): Promise<FakeProvider> {
  const received: ReceivedRequest[] = [];
  let gate: Promise<void> = Promise.resolve();
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const [, provider = "", ...rest] = (request.url ?? "").split("/");
    const path = `/${rest.join("/")}`;
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    received.push({ provider, path, headers: request.headers, body });
    const failure = /^fail-(\d{3})$/.exec(provider);
    if (failure) return void response.writeHead(Number(failure[1]), { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "try later" } }));
    const output = Math.min(Number(body.max_tokens ?? body.max_completion_tokens ?? OUTPUT_TOKENS), OUTPUT_TOKENS);
    const model = String(body.model);
    const held = gate;
    if (path === "/chat/completions") return openai(response, body, model, output, held);
    if (path === "/messages") return anthropic(response, body, model, output, held);
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    hold() {
      const { promise, resolve } = Promise.withResolvers<void>();
      gate = promise;
      return { release: () => resolve() };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const sse = (response: http.ServerResponse, data: unknown, event?: string) =>
  response.write(`${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);

async function openai(response: http.ServerResponse, body: Record<string, unknown>, model: string, output: number, held: Promise<void>) {
  const choices = Number(body.n ?? 1);
  const usage = { prompt_tokens: INPUT_TOKENS, completion_tokens: choices * output, total_tokens: INPUT_TOKENS + choices * output };
  if (!body.stream) {
    await held;
    response.writeHead(200, { "content-type": "application/json" });
    const choice = (index: number) => ({ index, message: { role: "assistant", content: COMPLETION.join("") }, finish_reason: "stop" });
    return void response.end(JSON.stringify({ id: "c1", object: "chat.completion", model, choices: Array.from({ length: choices }, (_, index) => choice(index)), usage }));
  }
  response.writeHead(200, { "content-type": "text/event-stream" });
  const chunk = (delta: object, finish: string | null = null) => ({ id: "c1", object: "chat.completion.chunk", model, choices: [{ index: 0, delta, finish_reason: finish }] });
  sse(response, chunk({ role: "assistant", content: "" }));
  await held;
  for (const piece of COMPLETION.slice(0, output)) sse(response, chunk({ content: piece }));
  sse(response, chunk({}, "stop"));
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) sse(response, { id: "c1", object: "chat.completion.chunk", model, choices: [], usage });
  sse(response, "[DONE]");
  response.end();
}

async function anthropic(response: http.ServerResponse, body: Record<string, unknown>, model: string, output: number, held: Promise<void>) {
  if (!body.stream) {
    await held;
    response.writeHead(200, { "content-type": "application/json" });
    return void response.end(
      JSON.stringify({ id: "m1", type: "message", role: "assistant", model, content: [{ type: "text", text: COMPLETION.join("") }], stop_reason: "end_turn", usage: { input_tokens: INPUT_TOKENS, output_tokens: output } }),
    );
  }
  response.writeHead(200, { "content-type": "text/event-stream" });
  sse(response, { type: "message_start", message: { id: "m1", type: "message", role: "assistant", model, content: [], usage: { input_tokens: INPUT_TOKENS, output_tokens: 1 } } }, "message_start");
  await held;
  sse(response, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, "content_block_start");
  for (const piece of COMPLETION.slice(0, output)) sse(response, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } }, "content_block_delta");
  sse(response, { type: "content_block_stop", index: 0 }, "content_block_stop");
  sse(response, { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: output } }, "message_delta");
  sse(response, { type: "message_stop" }, "message_stop");
  response.end();
}
