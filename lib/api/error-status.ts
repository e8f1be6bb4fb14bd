import type { AppErrorCode } from "../errors";

// Shared by the API and the SDK (so no runtime imports): the API's error
// codes and the HTTP status each is answered with.

export type ApiErrorCode = AppErrorCode | "unauthenticated" | "insufficient_scope" | "too_large" | "rate_limited" | "unavailable" | "internal";

export const API_ERROR_STATUS: Record<ApiErrorCode, number> = {
  unauthenticated: 401,
  insufficient_scope: 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  quota: 409,
  too_large: 413,
  invalid: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};
