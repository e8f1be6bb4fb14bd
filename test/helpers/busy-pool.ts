import type { PrismaClient } from "@/lib/generated/prisma/client";

/** @prisma/adapter-pg's pool: pg's default size. */
export const POOL_SIZE = 10;

/**
 * A burst of other requests: a transaction holding each of `db`'s pool
 * connections, until `release`. Resolves once every connection is held.
 */
export async function holdAllConnections(db: PrismaClient): Promise<{ release(): Promise<void> }> {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = () => {};
  let started = 0;
  const allHeld = new Promise<void>((resolve) => (held = resolve));
  const holders = Array.from({ length: POOL_SIZE }, () =>
    db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        if (++started === POOL_SIZE) held();
        await released;
      },
      { timeout: 60_000, maxWait: 30_000 },
    ),
  );
  // Before the release a holder only settles by failing (no connection within maxWait): that is the answer then.
  await Promise.race([allHeld, ...holders]);
  return {
    async release() {
      release();
      await Promise.all(holders);
    },
  };
}
