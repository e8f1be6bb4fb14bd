import fs from "node:fs";
import { z } from "zod";
import { env, secretVariable } from "@/lib/env";

// The AI gateway's settings: providers (an OpenAI-compatible endpoint or the
// Anthropic Messages API) with their models and prices, aliases that map a
// name such as `small` to provider models in fallback order, and the rules
// that pick an alias for a request that asks for `auto`. They come from
// PODSPACE_AI_PROVIDERS_FILE or PODSPACE_AI_PROVIDERS; keys are never in
// them, only the names of the variables that hold them.

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { error: "expected lowercase letters, digits, dots, dashes and underscores" });

const modelSchema = z.object({
  /** The model's name at the provider. */
  name: z.string().min(1),
  /** Prices per million tokens, in USD. */
  inputPerMillion: z.number().nonnegative(),
  outputPerMillion: z.number().nonnegative(),
  /** The output a request gets when it names no max_tokens: also what its worst case is reserved with. */
  maxOutputTokens: z.number().int().positive().default(4096),
});

const providerSchema = z.object({
  id: name,
  /** openai: any OpenAI-compatible /chat/completions (vLLM, Ollama, llama.cpp, a hosted API); anthropic: the Messages API. */
  type: z.enum(["openai", "anthropic"]),
  /** Up to the version, e.g. http://vllm:8000/v1 or https://api.anthropic.com/v1. */
  baseUrl: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/$/, "")),
  /** The environment variable holding the key; none for a server that takes no key (a local Ollama). */
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: "expected an environment variable name" }).optional(),
  models: z.array(modelSchema).min(1),
});

const DEFAULT_TASK_CLASSES = { "syntax-fix": "small", docs: "medium", refactoring: "medium", architecture: "large" };

export const aiConfigSchema = z
  .object({
    providers: z.array(providerSchema).min(1),
    /** Alias → "provider/model" targets, tried in order: the next when one fails or is rate limited. */
    aliases: z.record(name, z.array(z.string().regex(/^[^/]+\/.+$/, { error: 'expected "provider/model"' })).min(1)),
    /** Task class (the X-Podspace-Task header) → alias. */
    taskClasses: z.record(name, name).default(DEFAULT_TASK_CLASSES),
    /** For a request with no task header: the first rule whose pattern matches its last user message picks the alias. */
    rules: z
      .array(
        z.object({
          pattern: z.string().refine((source) => isRegex(source), { error: "expected a regular expression" }),
          alias: name,
        }),
      )
      .default([]),
    /** What `auto` means when neither a task class nor a rule decides. */
    defaultAlias: name.default("medium"),
  })
  .superRefine((config, ctx) => {
    const models = new Set(config.providers.flatMap((provider) => provider.models.map((model) => `${provider.id}/${model.name}`)));
    for (const [alias, targets] of Object.entries(config.aliases)) {
      for (const target of targets) if (!models.has(target)) ctx.addIssue({ code: "custom", path: ["aliases", alias], message: `${target} is no provider's model` });
    }
    const used = [
      ...Object.entries(config.taskClasses).map(([task, alias]) => [["taskClasses", task], alias] as const),
      ...config.rules.map((rule, index) => [["rules", index], rule.alias] as const),
      [["defaultAlias"], config.defaultAlias] as const,
    ];
    for (const [path, alias] of used) {
      if (!(alias in config.aliases)) ctx.addIssue({ code: "custom", path: [...path], message: `${alias} is not an alias` });
    }
    const ids = config.providers.map((provider) => provider.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: "custom", path: ["providers"], message: "two providers have the same id" });
  });

export type AiConfig = z.output<typeof aiConfigSchema>;
export type AiProvider = AiConfig["providers"][number];
export type AiModel = AiProvider["models"][number];

function isRegex(source: string): boolean {
  try {
    new RegExp(source, "i");
    return true;
  } catch {
    return false;
  }
}

/** The gateway's configuration, or why it is off (a sentence for the logs and the settings page). */
export type AiGatewayState = { on: true; config: AiConfig } | { on: false; reason: string };

/** Parses the settings' JSON; a problem names the setting and the path in it. */
export function parseAiConfig(text: string, source: string): AiGatewayState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { on: false, reason: `${source} is not valid JSON` };
  }
  const parsed = aiConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { on: false, reason: `${source}: ${issue.path.join(".") || "(top)"}: ${issue.message}` };
  }
  const keyless = parsed.data.providers.find((provider) => provider.apiKeyEnv && !secretVariable(provider.apiKeyEnv));
  if (keyless) return { on: false, reason: `provider ${keyless.id}'s key variable ${keyless.apiKeyEnv} is not set` };
  return { on: true, config: parsed.data };
}

let loaded: AiGatewayState | undefined;

/** The configuration from PODSPACE_AI_PROVIDERS_FILE or PODSPACE_AI_PROVIDERS, read once per process. */
export function aiGateway(): AiGatewayState {
  if (loaded) return loaded;
  if (env.PODSPACE_AI_PROVIDERS_FILE) {
    let text: string;
    try {
      text = fs.readFileSync(env.PODSPACE_AI_PROVIDERS_FILE, "utf8");
    } catch (error) {
      return (loaded = { on: false, reason: `PODSPACE_AI_PROVIDERS_FILE can't be read: ${(error as Error).message}` });
    }
    return (loaded = parseAiConfig(text, "PODSPACE_AI_PROVIDERS_FILE"));
  }
  if (env.PODSPACE_AI_PROVIDERS) return (loaded = parseAiConfig(env.PODSPACE_AI_PROVIDERS, "PODSPACE_AI_PROVIDERS"));
  return (loaded = { on: false, reason: "no AI providers are configured (PODSPACE_AI_PROVIDERS_FILE or PODSPACE_AI_PROVIDERS)" });
}
