import { ApiException } from "@kubernetes/client-node";
import { z } from "zod";
import { RuntimeError } from "../types";

// Turns what the Kubernetes API (or the way to it) answered into a
// RuntimeError a person can act on. Messages are built from the apiserver's
// Status only, never from the request: no header, URL or token is repeated.

const statusSchema = z.object({
  message: z.string().optional(),
  reason: z.string().optional(),
  details: z
    .object({
      causes: z.array(z.object({ field: z.string().optional(), message: z.string().optional() })).optional(),
    })
    .optional(),
});
type ApiStatus = z.infer<typeof statusSchema>;

/** The HTTP status of a failed API call, or undefined when the call never got an answer. */
function apiCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

export const isNotFound = (error: unknown) => apiCode(error) === 404;
export const isConflict = (error: unknown) => apiCode(error) === 409;

/** The apiserver's Status for a failed call; client-node 2.x leaves it as raw text. */
function apiStatus(error: ApiException<unknown>): ApiStatus {
  const body = error.body;
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { message: body.trim() || undefined };
    }
  }
  const status = statusSchema.safeParse(parsed);
  return status.success ? status.data : {};
}

/**
 * `doing` completes "Could not …", e.g. "create Pod podspace-ml/ws-abc".
 * RuntimeErrors pass through; errors that are neither API answers nor
 * network failures are bugs and are rethrown as they are.
 */
export function toRuntimeError(error: unknown, doing: string): RuntimeError {
  if (error instanceof RuntimeError) return error;
  if (error instanceof ApiException) return fromApiException(error, doing);
  const network = networkFailure(error);
  if (network) {
    return new RuntimeError("unavailable", `Could not ${doing}: the Kubernetes API is unreachable (${network})`, { cause: error });
  }
  throw error;
}

function fromApiException(error: ApiException<unknown>, doing: string): RuntimeError {
  const status = apiStatus(error);
  const message = status.message ?? `HTTP ${error.code}`;
  const options = { cause: error };
  if (error.code === 403 && message.includes("exceeded quota")) return new RuntimeError("quota", quotaMessage(message), options);
  if (error.code === 422 || error.code === 400) {
    const causes = status.details?.causes?.map((cause) => [cause.field, cause.message].filter(Boolean).join(": ")) ?? [];
    return new RuntimeError("invalid", `Could not ${doing}: Kubernetes rejected it as invalid: ${causes.length > 0 ? causes.join("; ") : message}`, options);
  }
  if (error.code === 404) return new RuntimeError("not-found", `Could not ${doing}: ${message}`, options);
  if (error.code === 401 || error.code === 403) {
    // 403 also answers e.g. "namespace … is being terminated"; only the authorizer's refusals name a verb on a resource.
    const hint = error.code === 401 || /cannot \w+ resource/.test(message) ? "; check Podspace's Kubernetes credentials and RBAC" : "";
    return new RuntimeError("unavailable", `Could not ${doing}: ${message}${hint}`, options);
  }
  return new RuntimeError("unavailable", `Could not ${doing}: the Kubernetes API answered ${error.code}: ${message}`, options);
}

const RESOURCE_NAMES: Record<string, string> = {
  cpu: "cpu",
  memory: "memory",
  pods: "running workspaces",
  persistentvolumeclaims: "workspaces",
  storage: "storage",
};

/**
 * Rewrites the quota admission message, e.g. `pods "ws-b" is forbidden:
 * exceeded quota: podspace, requested: limits.cpu=2,requests.cpu=2, used:
 * limits.cpu=4,requests.cpu=4, limited: limits.cpu=4,requests.cpu=4`, as
 * "The team's Kubernetes quota is exhausted: requested cpu=2, used 4 of 4".
 */
function quotaMessage(apiMessage: string): string {
  const prefix = "The team's Kubernetes quota is exhausted";
  const match = /requested: (.*), used: (.*), limited: (.*)$/.exec(apiMessage);
  if (!match) return `${prefix}: ${apiMessage}`;
  const [requested, used, limited] = match.slice(1).map(parseQuantities);
  const parts = new Map<string, string>();
  for (const [resource, amount] of requested!) {
    // requests.cpu and limits.cpu are the same number for workspaces: name it once.
    const plain = resource.replace(/^(requests|limits)\./, "");
    const name = RESOURCE_NAMES[plain] ?? plain;
    if (!parts.has(name)) parts.set(name, `requested ${name}=${amount}, used ${used!.get(resource) ?? "?"} of ${limited!.get(resource) ?? "?"}`);
  }
  return `${prefix}: ${[...parts.values()].join("; ")}`;
}

function parseQuantities(list: string): Map<string, string> {
  return new Map(
    list
      .split(",")
      .map((pair) => pair.trim().split("="))
      .filter((pair): pair is [string, string] => pair.length === 2),
  );
}

/**
 * What went wrong on the way to the apiserver, when that is what failed: the
 * system or undici error code (ECONNREFUSED, UND_ERR_SOCKET, …), or for a
 * fetch that failed without one, its cause ("bad port").
 */
function networkFailure(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Object && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^(E[A-Z]+|UND_ERR\w*)$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof TypeError && error.message.includes("fetch failed")) {
    return error.cause instanceof Error ? error.cause.message : "fetch failed";
  }
  return undefined;
}

/** client-node's WebSocket connect rejects with the socket's ErrorEvent; its message says what went wrong. */
export function socketErrorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === "string" && message ? message : String(error);
}
