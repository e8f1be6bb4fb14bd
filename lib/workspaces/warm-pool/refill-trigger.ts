// Server actions run in the Next.js bundle, the refill loop in server.ts's
// module graph; both share this process's global. A replica that isn't the
// leader has no loop: its change waits for the leader's next pass.

const REFILL = Symbol.for("podspace.warm-pool-refill");
const globalStore = globalThis as { [REFILL]?: () => void };

export function registerPoolRefill(refill: (() => void) | undefined): void {
  globalStore[REFILL] = refill;
}

/** Asks for a refill pass soon (a pool resized, a member claimed); call it once the change is committed. */
export function requestPoolRefill(): void {
  globalStore[REFILL]?.();
}
