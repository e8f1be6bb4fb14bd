import { describe, expect, it } from "vitest";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { BUSY_MESSAGE, runAction } from "@/lib/forms/run-action";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// The shared middle of the form actions, with the app's database on
// PostgreSQL (PGlite's single connection can't be busy the way a pool can).

usePostgresAppDatabase();

/** @prisma/adapter-pg's pool: pg's default size. */
const POOL_SIZE = 10;

const schema = z.object({ name: z.string().min(2, { error: "At least 2 characters." }) });
const form = (values: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(values)) data.set(key, value);
  return data;
};

describe("runAction", () => {
  it("returns field errors and the submitted values for invalid input, without running the action", async () => {
    let ran = false;
    const state = await runAction(schema, form({ name: "x" }), async () => {
      ran = true;
      return "done";
    });
    expect(state).toEqual({ status: "error", message: "Check the highlighted fields.", fieldErrors: { name: ["At least 2 characters."] }, values: { name: "x" } });
    expect(ran).toBe(false);
  });

  it("shows an AppError's message next to its field, and rethrows anything else", async () => {
    expect(await runAction(schema, form({ name: "ok" }), () => Promise.reject(new AppError("conflict", "Taken.", "name")))).toEqual({
      status: "error",
      message: "Taken.",
      fieldErrors: { name: ["Taken."] },
      values: { name: "ok" },
    });
    await expect(runAction(schema, form({ name: "ok" }), () => Promise.reject(new Error("bug")))).rejects.toThrow("bug");
  });

  it("asks the user to retry when every database connection is busy, and nothing is written", async () => {
    const db = getDb();
    // A burst of other requests: transactions holding each of the pool's connections (pg's default, 10).
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const holders = Array.from({ length: POOL_SIZE }, () =>
      db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1`;
          started += 1;
          await released;
        },
        { timeout: 30_000, maxWait: 30_000 },
      ),
    );
    await expect.poll(() => started, { timeout: 20_000 }).toBe(POOL_SIZE);

    const state = await runAction(schema, form({ name: "busy-team" }), async (input) => {
      await db.$transaction((tx) => tx.team.create({ data: { slug: input.name, name: input.name } }), { maxWait: 300 });
      return "created";
    });
    release();
    await Promise.all(holders);
    expect(state).toEqual({ status: "error", message: BUSY_MESSAGE, values: { name: "busy-team" } });
    expect(await db.team.count({ where: { slug: "busy-team" } })).toBe(0);
  });
});
