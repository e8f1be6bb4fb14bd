import { ZodError } from "zod";
import { AppError, FormError, isDatabaseUnavailable } from "@/lib/errors";
import { logger } from "@/lib/observability/logger";
import { API_ERROR_STATUS, type ApiErrorCode } from "./error-status";

// The API's errors: JSON with a stable code, and the message the pages show
// for the same failure (AppError's), so a script's log reads like the UI.
// Anything unexpected is logged and answered with a generic 500.

export { API_ERROR_STATUS, type ApiErrorCode };

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string; fields?: Record<string, string[]> };
}

/**
 * Rethrows a domain error that names a field by its form name (templateSlug)
 * under the name the API's body gives it (template), so `field` points into
 * what the caller sent.
 */
export function inBodyTerms(names: Record<string, string>): (error: unknown) => never {
  return (error) => {
    if (error instanceof AppError && error.field !== undefined && names[error.field]) throw new AppError(error.code, error.message, names[error.field]);
    throw error;
  };
}

/** A failure of the request itself (no token, a missing scope, too many requests), before any domain code runs. */
export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorJson(code: ApiErrorCode, message: string, extra: Omit<ApiErrorBody["error"], "code" | "message"> = {}, headers: Record<string, string> = {}): Response {
  const body: ApiErrorBody = { error: { code, message, ...extra } };
  return Response.json(body, { status: API_ERROR_STATUS[code], headers: { "Cache-Control": "no-store", ...headers } });
}

export function toErrorResponse(error: unknown): Response {
  if (error instanceof ApiError) return errorJson(error.code, error.message, {}, error.headers);
  if (error instanceof FormError) return errorJson(error.code, error.message, { fields: error.fieldErrors });
  if (error instanceof AppError) return errorJson(error.code, error.message, error.field ? { field: error.field } : {});
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const field = issue?.path.join(".");
    return errorJson("invalid", issue?.message ?? "The request is invalid.", field ? { field } : {});
  }
  if (isDatabaseUnavailable(error)) return errorJson("unavailable", "The database is unavailable; try again shortly.", {}, { "Retry-After": "5" });
  logger.error({ err: error }, "an API request failed unexpectedly");
  return errorJson("internal", "Something went wrong on Podspace's side; it was logged.");
}
