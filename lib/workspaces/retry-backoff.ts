// When a workspace may be tried again after its reconcile failed on
// infrastructure (the database or the runtime's API): each failure in a row
// doubles the wait, so a long outage costs a few attempts per workspace, not
// one per pass, and a success forgets the failures. When the wait is over,
// `onDue` is told, so the retry happens then and not at the next periodic
// pass, which may be much later.

export class RetryBackoff {
  private readonly waiting = new Map<string, { failures: number; notBefore: number; timer: NodeJS.Timeout }>();

  constructor(private readonly options: { firstDelayMs: number; maxDelayMs: number; onDue: (workspaceId: string) => void }) {}

  /** Records a failure; returns how long until the next try, and how many failures in a row this one makes. */
  failed(workspaceId: string, now = Date.now()): { delayMs: number; failures: number } {
    const previous = this.waiting.get(workspaceId);
    clearTimeout(previous?.timer);
    const failures = (previous?.failures ?? 0) + 1;
    const delayMs = Math.min(this.options.maxDelayMs, this.options.firstDelayMs * 2 ** (failures - 1));
    const timer = setTimeout(() => this.options.onDue(workspaceId), delayMs);
    this.waiting.set(workspaceId, { failures, notBefore: now + delayMs, timer });
    return { delayMs, failures };
  }

  succeeded(workspaceId: string): void {
    clearTimeout(this.waiting.get(workspaceId)?.timer);
    this.waiting.delete(workspaceId);
  }

  /** Whether a pass may try the workspace now. */
  due(workspaceId: string, now = Date.now()): boolean {
    return (this.waiting.get(workspaceId)?.notBefore ?? 0) <= now;
  }

  /** Forgets every failure and cancels the retries waiting for their time. */
  clear(): void {
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }
}
