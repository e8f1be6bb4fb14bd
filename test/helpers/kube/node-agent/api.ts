// Small helpers over @kubernetes/client-node 2.x shared by the agent's modules.
import { ApiException, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";

/**
 * Options for a JSON merge patch. client-node 2.x picks JSON Patch
 * (application/json-patch+json) for every patch call unless told otherwise,
 * and a merge patch is what lets the agent send just `{status: …}`.
 */
export const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export function isApiError(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

/** Runs `request`, treating 404 (already gone) as success. */
export async function ignoreNotFound(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!isApiError(error, 404)) throw error;
  }
}

/** Runs `request`, treating 409 (already exists) as success. */
export async function ignoreConflict(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!isApiError(error, 409)) throw error;
  }
}

/** A sleep that ends early (rejecting with the abort reason) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves when `signal` aborts, at once if it already has. */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

export function describeError(error: unknown): string {
  if (error instanceof ApiException) return `HTTP ${error.code}: ${String(error.body).slice(0, 300)}`;
  return error instanceof Error ? error.message : String(error);
}
