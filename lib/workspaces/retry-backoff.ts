// When a workspace may be tried again after its reconcile failed on
// infrastructure (the database or the runtime's API): each failure in a row
// doubles the wait, so a long outage costs a few attempts per workspace, not
// one per pass, and a success forgets the failures.

export class RetryBackoff {
  private readonly waiting = new Map<string, { failures: number; notBefore: number }>();

  constructor(private readonly options: { firstDelayMs: number; maxDelayMs: number }) {}

  /** Records a failure; returns how long until the next try, and how many failures in a row this one makes. */
  failed(workspaceId: string, now = Date.now()): { delayMs: number; failures: number } {
    const failures = (this.waiting.get(workspaceId)?.failures ?? 0) + 1;
    const delayMs = Math.min(this.options.maxDelayMs, this.options.firstDelayMs * 2 ** (failures - 1));
    this.waiting.set(workspaceId, { failures, notBefore: now + delayMs });
    return { delayMs, failures };
  }

  succeeded(workspaceId: string): void {
    this.waiting.delete(workspaceId);
  }

  /** Whether a pass may try the workspace now. */
  due(workspaceId: string, now = Date.now()): boolean {
    return (this.waiting.get(workspaceId)?.notBefore ?? 0) <= now;
  }
}
