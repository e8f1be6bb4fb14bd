import type { z } from "zod";
import { AppError, isDatabaseBusy } from "@/lib/errors";
import { logger } from "@/lib/observability/logger";
import type { ActionState } from "./action-state";

function submittedValues(formData: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of formData) {
    // Next.js adds its own $ACTION_* fields to progressively enhanced forms.
    if (typeof value === "string" && !key.startsWith("$ACTION")) values[key] = value;
  }
  return values;
}

function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    (errors[field] ??= []).push(issue.message);
  }
  return errors;
}

export const BUSY_MESSAGE = "Podspace is too busy to do this right now, and nothing was changed. Try again in a moment.";

/**
 * The shared middle of every form action: validates the form with `schema`,
 * runs `perform` with the parsed input and turns the outcome into a state.
 * `perform` returns the success message. AppErrors become error states, and
 * so does a database too busy to run the transaction (a burst of starts
 * queueing on the connection pool); anything else is a bug and is rethrown.
 */
export async function runAction<S extends z.ZodType>(
  schema: S,
  formData: FormData,
  perform: (input: z.output<S>) => Promise<string>,
): Promise<ActionState> {
  const values = submittedValues(formData);
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    return { status: "error", message: "Check the highlighted fields.", fieldErrors: fieldErrorsOf(parsed.error), values };
  }
  try {
    return { status: "ok", message: await perform(parsed.data) };
  } catch (error) {
    if (isDatabaseBusy(error)) {
      logger.warn({ err: error }, "a form action's transaction could not run in time; the user was asked to retry");
      return { status: "error", message: BUSY_MESSAGE, values };
    }
    if (!(error instanceof AppError)) throw error;
    return {
      status: "error",
      message: error.message,
      fieldErrors: error.field ? { [error.field]: [error.message] } : undefined,
      values,
    };
  }
}
