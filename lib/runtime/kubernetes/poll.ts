/** Calls `check` every `intervalMs` until it returns true (→ true) or `timeoutMs` has passed (→ false). */
export async function pollUntil(check: () => Promise<boolean>, options: { timeoutMs: number; intervalMs?: number }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
