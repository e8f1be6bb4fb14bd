import { RateLimiterMemory, type RateLimiterRes } from "rate-limiter-flexible";
import { env } from "@/lib/env";
import { ApiError } from "./errors";

// Each token may make PODSPACE_API_RATE_LIMIT requests a minute. The count is
// kept per replica, in memory: behind N replicas a token gets up to N times
// as many, which bounds a runaway script all the same without a database
// write per request.

/** One limiter per process: server.ts's WebSocket upgrades and the Next.js bundle's routes load this module apart, and share it through a global symbol. */
const LIMITER = Symbol.for("podspace.api-rate-limiter");
const perMinute = ((globalThis as { [LIMITER]?: RateLimiterMemory })[LIMITER] ??= new RateLimiterMemory({
  keyPrefix: "api",
  points: env.PODSPACE_API_RATE_LIMIT,
  duration: 60,
}));

/** Counts a request against the token's budget; throws a 429 with Retry-After once it is spent. */
export async function assertRateLimit(tokenId: string): Promise<void> {
  try {
    await perMinute.consume(tokenId);
  } catch (rejection) {
    // By its shape, not instanceof: the limiter may come from the other copy of the library (server.ts's, or the Next.js bundle's).
    if (!isRateLimiterAnswer(rejection)) throw rejection;
    const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw new ApiError("rate_limited", `This token made more than ${env.PODSPACE_API_RATE_LIMIT} requests in a minute; try again in ${seconds} s.`, {
      "Retry-After": String(seconds),
    });
  }
}

const isRateLimiterAnswer = (value: unknown): value is RateLimiterRes =>
  typeof value === "object" && value !== null && typeof (value as RateLimiterRes).msBeforeNext === "number";
