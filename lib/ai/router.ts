import { AppError } from "@/lib/errors";
import type { AiConfig, AiModel, AiProvider } from "./config";

// Which provider models serve a request, in the order they are tried. A
// request names an alias (`small`, `large`, a team's own), a provider model
// ("vllm/qwen2.5-coder-7b"), or `auto`: then its task class (the
// X-Podspace-Task header) picks the alias, else the first rule whose pattern
// matches its last user message, else the default alias.

export type Protocol = AiProvider["type"];

export interface Target {
  provider: AiProvider;
  model: AiModel;
}

export interface Route {
  /** The alias the request resolved to; null when it named a provider model. */
  alias: string | null;
  /** What the team's allow-list is checked against: the alias, or "provider/model". */
  name: string;
  targets: Target[];
}

export const AUTO_MODEL = "auto";
export const TASK_HEADER = "x-podspace-task";

export function routeRequest(config: AiConfig, protocol: Protocol, request: { model: string; task: string | null; lastUserText: string }): Route {
  const alias = request.model === AUTO_MODEL ? autoAlias(config, request.task, request.lastUserText) : request.model;
  const names = config.aliases[alias];
  const route: Route = names ? { alias, name: alias, targets: names.map((target) => targetOf(config, target)!) } : directRoute(config, request.model);
  const targets = route.targets.filter((target) => target.provider.type === protocol);
  if (targets.length === 0) {
    throw new AppError("invalid", `${route.name} has no model that speaks the ${protocol === "openai" ? "OpenAI chat completions" : "Anthropic Messages"} API here; use the other endpoint, or another model.`, "model");
  }
  return { ...route, targets };
}

function autoAlias(config: AiConfig, task: string | null, lastUserText: string): string {
  if (task) {
    const alias = config.taskClasses[task.toLowerCase()];
    if (!alias) throw new AppError("invalid", `Unknown task class ${task}; the classes here are ${Object.keys(config.taskClasses).join(", ")}.`, TASK_HEADER);
    return alias;
  }
  return config.rules.find((rule) => new RegExp(rule.pattern, "i").test(lastUserText))?.alias ?? config.defaultAlias;
}

/** A request naming "provider/model", or a model's bare name when only one provider has it. */
function directRoute(config: AiConfig, model: string): Route {
  const exact = targetOf(config, model);
  const candidates = exact ? [exact] : config.providers.flatMap((provider) => provider.models.filter((m) => m.name === model).map((m) => ({ provider, model: m })));
  if (candidates.length === 0) {
    throw new AppError("invalid", `Unknown model ${model}; ask for an alias (${Object.keys(config.aliases).join(", ")}), ${AUTO_MODEL}, or provider/model.`, "model");
  }
  const first = candidates[0]!;
  return { alias: null, name: `${first.provider.id}/${first.model.name}`, targets: [first] };
}

function targetOf(config: AiConfig, name: string): Target | undefined {
  const slash = name.indexOf("/");
  const provider = config.providers.find((candidate) => candidate.id === name.slice(0, slash));
  const model = provider?.models.find((candidate) => candidate.name === name.slice(slash + 1));
  return provider && model ? { provider, model } : undefined;
}

/** Whether the team's allow-list (empty: everything) lets it use this route. */
export function allowedBy(allowList: readonly string[], route: Route): boolean {
  return allowList.length === 0 || allowList.includes(route.name);
}
