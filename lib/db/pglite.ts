import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";

// PGlite allows one open instance per data directory. The custom server and
// the Next.js bundle load this module separately, so the instances live on
// globalThis under a shared symbol instead of in module scope.
const INSTANCES = Symbol.for("podspace.pglite");
const registry = ((globalThis as Record<symbol, unknown>)[INSTANCES] ??= new Map<string, PGlite>()) as Map<
  string,
  PGlite
>;

/**
 * The embedded database stored in `dir`, opened once per process. Queries
 * issued before it has finished starting wait for it.
 */
export function openPglite(dir: string): PGlite {
  const key = path.resolve(dir);
  let db = registry.get(key);
  if (!db) {
    fs.mkdirSync(key, { recursive: true });
    db = new PGlite(key);
    registry.set(key, db);
  }
  return db;
}

/** Closes the embedded database in `dir`, flushing it to disk. */
export async function closePglite(dir: string): Promise<void> {
  const key = path.resolve(dir);
  const db = registry.get(key);
  registry.delete(key);
  await db?.close();
}

export async function closeAllPglite(): Promise<void> {
  await Promise.all([...registry.keys()].map(closePglite));
}
