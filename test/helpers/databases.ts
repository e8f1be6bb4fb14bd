import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { closePglite } from "@/lib/db/pglite";
import type { DatabaseTarget } from "@/lib/db/sql";
import { createTestDatabase } from "./postgres-setup";

/** A fresh, empty database of each kind Podspace supports. */
export interface TestDatabase {
  target: DatabaseTarget;
  dispose(): Promise<void>;
}

export const backends = ["pglite", "postgres"] as const;
export type Backend = (typeof backends)[number];

export async function freshDatabase(kind: Backend): Promise<TestDatabase> {
  if (kind === "postgres") {
    const database = await createTestDatabase(inject("postgresAdminUrl"));
    return { target: { kind, url: database.url }, dispose: database.drop };
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-pglite-"));
  return {
    target: { kind, dir },
    async dispose() {
      await closePglite(dir);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
