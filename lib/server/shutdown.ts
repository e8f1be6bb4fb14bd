import type { Server } from "node:http";
import { logger } from "@/lib/observability/logger";
import type { WebSocketRouter } from "./websocket-router";

export interface ShutdownOptions {
  server: Server;
  router: WebSocketRouter;
  /** Runs once HTTP traffic has drained, e.g. closing the database. */
  cleanup: () => Promise<void>;
  /** The whole shutdown finishes within this, whatever clients do. */
  timeoutMs?: number;
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, close WebSockets with
 * 1001, let in-flight requests finish, clean up, exit. Requests still running
 * at the deadline are cut so the process always exits in time; a second
 * signal exits at once.
 */
export function exitGracefullyOnSignals({ server, router, cleanup, timeoutMs = 10_000 }: ShutdownOptions): void {
  let shuttingDown = false;

  const shutdown = async (signal: NodeJS.Signals) => {
    if (shuttingDown) process.exit(1);
    shuttingDown = true;
    logger.info({ signal }, `${signal} received, shutting down`);
    const startedAt = Date.now();
    // Leave time after the drain for cleanup and the exit itself.
    const drainDeadline = startedAt + timeoutMs - 1_500;

    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    router.closeAll(1001, "server shutting down");
    // Keep-alive connections become idle once their response is sent; close
    // them as they do, since server.close() only closes the ones idle now.
    const reaper = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, drainDeadline - Date.now()).unref());
    await Promise.race([drained, deadline]);
    clearInterval(reaper);
    server.closeAllConnections();
    router.terminateAll();

    // Cleanup waits for the loops' passes to end (a start in a pass may take
    // minutes), which must not hold the exit past the deadline: what it
    // leaves undone (a leader lock, open connections) ends with the process.
    const cleanupDeadline = Math.max(startedAt + timeoutMs, Date.now() + 1_000) - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), cleanupDeadline)));
    try {
      if ((await Promise.race([cleanup(), outOfTime])) === "late") logger.warn({ ms: Date.now() - startedAt }, "cleanup did not finish in time; exiting anyway");
    } catch (error) {
      logger.error({ err: error }, "cleanup failed during shutdown");
    } finally {
      clearTimeout(timer);
    }
    logger.info({ ms: Date.now() - startedAt }, `stopped in ${Date.now() - startedAt} ms`);
    process.exit(0);
  };

  process.on("SIGTERM", (signal) => void shutdown(signal));
  process.on("SIGINT", (signal) => void shutdown(signal));
}
