import type { z } from "zod";
import { AppError } from "@/lib/errors";
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

/**
 * The shared middle of every form action: validates the form with `schema`,
 * runs `perform` with the parsed input and turns the outcome into a state.
 * `perform` returns the success message. AppErrors become error states;
 * anything else is a bug and is rethrown.
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
    if (!(error instanceof AppError)) throw error;
    return {
      status: "error",
      message: error.message,
      fieldErrors: error.field ? { [error.field]: [error.message] } : undefined,
      values,
    };
  }
}
