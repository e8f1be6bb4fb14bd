// What this process applied lately, so that a start's path needn't ask the
// API about it again: a team's namespace with its quota and policies (by the
// manifests' content, so a changed quota is applied), a workspace's home
// volume. Entries expire, and the driver forgets a team's when a start in it
// fails, so a namespace or volume deleted out of band is noticed by the next
// attempt rather than cached forever.

export class AppliedRecently {
  private readonly entries = new Map<string, { content: string; at: number }>();

  constructor(private readonly ttlMs: number) {}

  /** Whether `key` was applied with this content within the TTL. */
  has(key: string, content = ""): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.content === content && Date.now() - entry.at < this.ttlMs;
  }

  remember(key: string, content = ""): void {
    this.entries.set(key, { content, at: Date.now() });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
