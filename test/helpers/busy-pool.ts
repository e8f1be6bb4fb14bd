import type { PrismaClient } from "@/lib/generated/prisma/client";

/**
 * A burst of other requests: a transaction holding each of `db`'s pool
 * connections (`size` of them), until `release`. Resolves once every
 * connection is held.
 */
export async function holdAllConnections(db: PrismaClient, size: number): Promise<{ release(): Promise<void> }> {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = () => {};
  let started = 0;
  const allHeld = new Promise<void>((resolve) => (held = resolve));
  const holders = Array.from({ length: size }, () =>
    db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        if (++started === size) held();
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
