import { afterAll, beforeAll } from "vitest";
import { closeDb, databaseTarget } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";

/** Migrates the app's database (see isolated-env.ts) for this file and closes it afterwards. */
export function useAppDatabase(): void {
  beforeAll(async () => {
    await prepareDatabase(databaseTarget());
  });
  afterAll(async () => {
    await closeDb();
  });
}
