import type { z } from "zod";
import { requireUser, type CurrentUser } from "@/lib/auth/current-user";
import { AppError, FormError, isDatabaseBusy } from "@/lib/errors";
import { logger } from "@/lib/observability/logger";
import type { ActionState, FormAction } from "./action-state";

// Every form's server action is made by formAction, so each one takes the
// same steps in the same order, the cheapest refusal first:
//   1. the user is signed in (requireUser);
//   2. they hold the form's coarse permission, checked before anything they
//      sent is read;
//   3. no field is longer than its limit, checked before anything is parsed;
//   4. the fields pass the form's zod schema;
//   5. the domain function runs, and makes the fine-grained decisions.
// Next.js has already read the body by then, and caps it (1 MB by default).

/** The longest a field may be unless its form allows more: ample for names, ids, emails, URLs and parameters. */
export const FIELD_LIMIT_BYTES = 8 * 1024;

export const BUSY_MESSAGE = "Podspace is too busy to do this right now, and nothing was changed. Try again in a moment.";

const INVALID_MESSAGE = "Check the highlighted fields.";

/** A success message and what the form shows once (ActionState.result). */
export interface Performed {
  message: string;
  result: Record<string, string>;
}

/** A form as its schema sees it: each field's value, or every value of a field in `lists`. */
export type FormValues = Record<string, string | string[]>;

export interface FormActionDefinition<S extends z.ZodType> {
  /**
   * The coarse permission: throws the domain's own refusal (an AppError) for
   * a user who may not use the form at all, e.g. assertManagesTemplates.
   * Without it any signed-in user may submit, and the domain function decides.
   */
  authorize?: (user: CurrentUser) => unknown;
  /** Limits in bytes for the fields that may be longer than FIELD_LIMIT_BYTES. */
  limits?: Readonly<Record<string, number>>;
  /** Fields sent once per value (a checkbox per row): the schema gets their values as an array. */
  lists?: readonly string[];
  /** Validates the form's values; a problem with the form as a whole (an empty path) becomes the message. */
  schema: S;
  /**
   * Does the work and returns the success message, with what to show once
   * if anything; may redirect(). AppErrors it throws are shown to the user.
   */
  perform: (user: CurrentUser, input: z.output<S>) => Promise<string | Performed>;
}

/** The server action for a form: see the steps above. */
export function formAction<S extends z.ZodType>(definition: FormActionDefinition<S>): FormAction {
  return async (_previous, formData) => runFormAction(await requireUser(), definition, formData);
}

/** Steps 2 to 5 for a signed-in user; formAction's body, exported for tests. */
export async function runFormAction<S extends z.ZodType>(user: CurrentUser, definition: FormActionDefinition<S>, formData: FormData): Promise<ActionState> {
  try {
    await definition.authorize?.(user);
  } catch (error) {
    return errorState(error);
  }

  const { values, tooLong } = readFields(formData, definition);
  const echoed = echo(values);
  if (Object.keys(tooLong).length > 0) return { status: "error", message: INVALID_MESSAGE, fieldErrors: tooLong, values: echoed };

  const parsed = definition.schema.safeParse(values);
  if (!parsed.success) {
    const fieldErrors = fieldErrorsOf(parsed.error);
    return { status: "error", message: fieldErrors.form?.[0] ?? INVALID_MESSAGE, fieldErrors, values: echoed };
  }

  try {
    const performed = await definition.perform(user, parsed.data);
    return typeof performed === "string" ? { status: "ok", message: performed } : { status: "ok", ...performed };
  } catch (error) {
    return errorState(error, echoed);
  }
}

/** The form's own fields, and an error for each one over its limit (left out of the values). */
function readFields(formData: FormData, { limits = {}, lists = [] }: Pick<FormActionDefinition<z.ZodType>, "limits" | "lists">) {
  // A list with nothing chosen (no box ticked) posts no field at all: it is empty, not missing.
  const values: FormValues = Object.fromEntries(lists.map((key) => [key, []]));
  const tooLong: Record<string, string[]> = {};
  for (const [key, value] of formData) {
    // Next.js adds its own $ACTION_* fields to progressively enhanced forms; no form takes files.
    if (typeof value !== "string" || key.startsWith("$ACTION")) continue;
    // Own keys only: a field named "constructor" must not find Object's.
    const limit = Object.hasOwn(limits, key) ? limits[key]! : FIELD_LIMIT_BYTES;
    if (Buffer.byteLength(value) > limit) {
      tooLong[key] = [`Too long: at most ${+(limit / 1024).toFixed(1)} KiB.`];
    } else if (lists.includes(key)) {
      values[key] = [...(values[key] as string[]), value];
    } else {
      values[key] = value;
    }
  }
  return { values, tooLong };
}

/** The single-valued fields, sent back with errors: React resets a form after its action, and inputs show these instead. */
function echo(values: FormValues): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    (errors[field] ??= []).push(issue.message);
  }
  return errors;
}

/**
 * AppErrors become error states, and so does a database too busy to run
 * the transaction (a burst of starts queueing on the connection pool);
 * anything else is a bug, or redirect() at work, and is rethrown.
 */
function errorState(error: unknown, values?: Record<string, string>): ActionState {
  if (isDatabaseBusy(error)) {
    logger.warn({ err: error }, "a form action's transaction could not run in time; the user was asked to retry");
    return { status: "error", message: BUSY_MESSAGE, values };
  }
  if (!(error instanceof AppError)) throw error;
  const fieldErrors = error instanceof FormError ? error.fieldErrors : error.field ? { [error.field]: [error.message] } : undefined;
  return { status: "error", message: error.message, fieldErrors, values };
}
