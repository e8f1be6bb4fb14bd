// Server actions and API routes run in the Next.js bundle, the backup loop in
// server.ts's module graph; both share this process's global. A replica that
// isn't the leader has no loop: its backup waits for the leader's next pass.

const BACKUPS = Symbol.for("podspace.backup-loop");
const globalStore = globalThis as { [BACKUPS]?: () => void };

export function registerBackupLoop(wake: (() => void) | undefined): void {
  globalStore[BACKUPS] = wake;
}

/** Asks the backup loop to look at its queue now (a backup enqueued); call it once the row is committed. */
export function wakeBackups(): void {
  globalStore[BACKUPS]?.();
}
