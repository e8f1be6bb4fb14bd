import { forgetLoop, recordLoopPass, type BackgroundLoop } from "@/lib/observability/metrics";
import { logger } from "@/lib/observability/logger";

// The shape every leader loop shares (lifecycle policies, usage): a pass now
// and then on a timer, never two at once, with its lag in the metrics.

export interface PeriodicPass<T> {
  /** Runs a pass now, after any pass already running. */
  runOnce(): Promise<T>;
  start(): void;
  /** Stops the timer and waits for a running pass to end. */
  stop(): Promise<void>;
}

export function periodicPass<T>(loop: BackgroundLoop, pass: () => Promise<T>, intervalMs: number): PeriodicPass<T> {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<T> | null = null;

  function runOnce(): Promise<T> {
    // A failed pass doesn't stop the next one from running.
    const next = (current ?? Promise.resolve()).catch(() => {}).then(pass);
    current = next;
    void next.finally(() => current === next && (current = null)).catch(() => {});
    return next;
  }

  return {
    runOnce,
    start() {
      const tick = () => {
        // A slow pass is not queued behind: the next tick comes soon enough.
        if (current) return;
        void runOnce().then(
          () => recordLoopPass(loop),
          (error: unknown) => logger.error({ err: error, loop }, `${loop} pass failed`),
        );
      };
      tick();
      timer = setInterval(tick, intervalMs);
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      forgetLoop(loop);
      await current?.catch(() => {});
    },
  };
}
