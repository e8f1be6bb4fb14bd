import { env } from "@/lib/env";
import { ApiError } from "./errors";

// Each token may have PODSPACE_API_MAX_CONCURRENT_EXEC commands running at
// once (an exec, its WebSocket, a file copy): a runaway agent can't fill a
// workspace, or this replica, with commands. Counted per replica in memory,
// as the rate limit is (rate-limit.ts).

/** Commands running, by token; one map per process (shared by server.ts's WebSocket and the Next.js bundle's routes through a global symbol). */
const SLOTS = Symbol.for("podspace.api-exec-slots");
const running = ((globalThis as { [SLOTS]?: Map<string, number> })[SLOTS] ??= new Map<string, number>());

/** How long a refused client is told to wait: commands usually finish within seconds. */
const RETRY_AFTER_SECONDS = 5;

/** Takes one of the token's slots, or throws a 429; call the returned function (once) when the command has ended. */
export function claimExecSlot(tokenId: string): () => void {
  const count = running.get(tokenId) ?? 0;
  if (count >= env.PODSPACE_API_MAX_CONCURRENT_EXEC) {
    throw new ApiError("rate_limited", `This token already runs ${count} commands at once, the most it may; try again when one has ended.`, {
      "Retry-After": String(RETRY_AFTER_SECONDS),
    });
  }
  running.set(tokenId, count + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (running.get(tokenId) ?? 1) - 1;
    if (left > 0) running.set(tokenId, left);
    else running.delete(tokenId);
  };
}
