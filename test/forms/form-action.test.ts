import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { AppError, FormError } from "@/lib/errors";
import { BUSY_MESSAGE, FIELD_LIMIT_BYTES, runFormAction, type FormActionDefinition } from "@/lib/forms/form-action";
import { assertManagesTemplates } from "@/lib/templates/access";
import { holdAllConnections } from "../helpers/busy-pool";
import { actorFor, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";

// The one wrapper every form action goes through, with real users, on the
// app's database on PostgreSQL (PGlite's single connection can't be busy
// the way a pool can).

usePostgresAppDatabase();

const schema = z.object({ name: z.string().min(2, { error: "At least 2 characters." }) });
const form = (values: Record<string, string | string[]>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(values)) for (const item of [value].flat()) data.append(key, item);
  return data;
};

type Definition<S extends z.ZodType> = Omit<FormActionDefinition<S>, "perform"> & Partial<Pick<FormActionDefinition<S>, "perform">>;

/** The definition, recording which of its steps ran, in order; perform answers "done" unless given. */
function traced<S extends z.ZodType>({ authorize, schema, perform, ...rest }: Definition<S>) {
  const steps: string[] = [];
  const definition: FormActionDefinition<z.ZodType<z.output<S>>> = {
    ...rest,
    authorize: authorize && ((user) => (steps.push("authorize"), authorize(user))),
    schema: z.unknown().transform((values) => (steps.push("schema"), values)).pipe(schema),
    perform: (user, input) => (steps.push("perform"), perform ? perform(user, input) : Promise.resolve("done")),
  };
  return { definition, steps };
}

describe("formAction's steps", () => {
  let user: CurrentUser;
  beforeAll(async () => {
    user = await actorFor(await createUser("someone@form-action.test"));
  });

  it("refuses a user without the form's permission before reading a single field", async () => {
    const { definition, steps } = traced({ authorize: assertManagesTemplates, schema });
    // Far over every limit, and invalid: neither is looked at.
    const state = await runFormAction(user, definition, form({ name: "x".repeat(2 * 1024 * 1024) }));
    expect(state).toEqual({ status: "error", message: "Only template admins can change templates." });
    expect(steps).toEqual(["authorize"]);
  });

  it("refuses a field over its limit before validating anything, and sends back the others", async () => {
    const { definition, steps } = traced({ schema: z.object({ name: z.string(), note: z.string() }), limits: { note: 16 * 1024 } });
    const tooLong = await runFormAction(user, definition, form({ name: "x".repeat(FIELD_LIMIT_BYTES + 1), note: "fine" }));
    expect(tooLong).toEqual({ status: "error", message: "Check the highlighted fields.", fieldErrors: { name: ["Too long: at most 8 KiB."] }, values: { note: "fine" } });
    expect(steps).toEqual([]);

    // Any field, whatever its name.
    expect((await runFormAction(user, definition, form({ constructor: "x".repeat(FIELD_LIMIT_BYTES + 1) }))).fieldErrors).toEqual({
      constructor: ["Too long: at most 8 KiB."],
    });
    // Bytes, not characters: "é" is two.
    expect((await runFormAction(user, definition, form({ name: "ok", note: "é".repeat(8 * 1024 + 1) }))).fieldErrors).toEqual({ note: ["Too long: at most 16 KiB."] });
    expect(await runFormAction(user, definition, form({ name: "ok", note: "é".repeat(8 * 1024) }))).toEqual({ status: "ok", message: "done" });
  });

  it("returns field errors and the submitted values for invalid input, without running the action", async () => {
    const { definition, steps } = traced({ schema });
    const state = await runFormAction(user, definition, form({ name: "x", $ACTION_ID_abc: "" }));
    expect(state).toEqual({ status: "error", message: "Check the highlighted fields.", fieldErrors: { name: ["At least 2 characters."] }, values: { name: "x" } });
    expect(steps).toEqual(["schema"]);
  });

  it("reads a field sent once per checkbox as a list, and makes a problem with the whole form its message", async () => {
    const ids = z.preprocess((values) => (values as { id?: string[] }).id ?? [], z.array(z.string()).min(1, { error: "Choose at least one." }));
    const { definition } = traced({ schema: ids, lists: ["id"], perform: async (_user, input) => `got ${input.join("+")}` });
    expect(await runFormAction(user, definition, form({ id: ["a", "b"], other: "kept" }))).toEqual({ status: "ok", message: "got a+b" });
    expect(await runFormAction(user, definition, form({ other: "kept" }))).toEqual({
      status: "error",
      message: "Choose at least one.",
      fieldErrors: { form: ["Choose at least one."] },
      values: { other: "kept" },
    });
  });

  it("reads a list with nothing ticked as empty, so its schema's own message is shown, not zod's", async () => {
    const scopes = z.object({ scopes: z.array(z.string()).min(1, { error: "Choose at least one scope." }) });
    const { definition } = traced({ schema: scopes, lists: ["scopes"] });
    expect(await runFormAction(user, definition, form({ name: "x" }))).toMatchObject({ status: "error", fieldErrors: { scopes: ["Choose at least one scope."] } });
  });

  it("passes on what a successful action made for the form to show once, next to its message", async () => {
    const { definition } = traced({ schema, perform: async (_user, input) => ({ message: "Made it.", result: { url: `https://example.test/${input.name}` } }) });
    expect(await runFormAction(user, definition, form({ name: "secret" }))).toEqual({ status: "ok", message: "Made it.", result: { url: "https://example.test/secret" } });
  });

  it("shows an AppError's message next to its field, a FormError's next to each of its fields, and rethrows anything else", async () => {
    const failing = (error: Error) => traced({ schema, perform: () => Promise.reject(error) }).definition;
    const ok = form({ name: "ok" });
    expect(await runFormAction(user, failing(new AppError("conflict", "Taken.", "name")), ok)).toEqual({
      status: "error",
      message: "Taken.",
      fieldErrors: { name: ["Taken."] },
      values: { name: "ok" },
    });
    expect(await runFormAction(user, failing(new FormError("Two problems.", { name: ["Bad."], slug: ["Worse."] })), ok)).toMatchObject({
      message: "Two problems.",
      fieldErrors: { name: ["Bad."], slug: ["Worse."] },
    });
    await expect(runFormAction(user, failing(new Error("bug")), ok)).rejects.toThrow("bug");
  });

  it("asks the user to retry when every database connection is busy, and nothing is written", async () => {
    const db = getDb();
    const busy = await holdAllConnections(db, env.PODSPACE_DB_POOL_SIZE);

    const { definition } = traced({
      schema,
      perform: async (_user, input) => {
        await db.$transaction((tx) => tx.team.create({ data: { slug: input.name, name: input.name } }), { maxWait: 300 });
        return "created";
      },
    });
    const state = await runFormAction(user, definition, form({ name: "busy-team" }));
    await busy.release();
    expect(state).toEqual({ status: "error", message: BUSY_MESSAGE, values: { name: "busy-team" } });
    expect(await db.team.count({ where: { slug: "busy-team" } })).toBe(0);
  });
});
