// Per-workspace timers whose wait doubles each time one is scheduled again
// before it was cancelled, up to a maximum; `onDue` is told when one is due.
// The reconciler keeps two:
// - retries after a reconcile failed on infrastructure (the database or the
//   runtime's API): a long outage costs a few attempts per workspace, not one
//   per pass, and the retry happens when its wait is over, not at the next
//   periodic pass, which may be much later;
// - rechecks of a workspace waiting on its runtime (a pod being scheduled, a
//   process coming up): the runtime's event normally moves it on, and the
//   recheck does if that event was lost, long before the periodic pass.

export class BackoffTimers {
  private readonly waiting = new Map<string, { times: number; notBefore: number; timer: NodeJS.Timeout }>();

  constructor(private readonly options: { firstDelayMs: number; maxDelayMs: number; onDue: (workspaceId: string) => void }) {}

  /** Schedules the next call; returns its wait, and how many times in a row (this one included) it was scheduled. */
  schedule(workspaceId: string, now = Date.now()): { delayMs: number; times: number } {
    const previous = this.waiting.get(workspaceId);
    clearTimeout(previous?.timer);
    const times = (previous?.times ?? 0) + 1;
    const delayMs = Math.min(this.options.maxDelayMs, this.options.firstDelayMs * 2 ** (times - 1));
    const timer = setTimeout(() => this.options.onDue(workspaceId), delayMs);
    this.waiting.set(workspaceId, { times, notBefore: now + delayMs, timer });
    return { delayMs, times };
  }

  /** Cancels the workspace's timer and forgets how many times it was scheduled. */
  cancel(workspaceId: string): void {
    clearTimeout(this.waiting.get(workspaceId)?.timer);
    this.waiting.delete(workspaceId);
  }

  /** Whether no wait is running for the workspace. */
  due(workspaceId: string, now = Date.now()): boolean {
    return (this.waiting.get(workspaceId)?.notBefore ?? 0) <= now;
  }

  /** Cancels every timer. */
  clear(): void {
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }
}
