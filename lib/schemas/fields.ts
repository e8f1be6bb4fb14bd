import { z } from "zod";

/** A database id as it arrives from a hidden form field. */
export const idSchema = z.string().trim().min(1, { error: "Missing id." }).max(64);

export const emailSchema = z
  .string({ error: "Enter an email address." })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: "Enter a valid email address." }).max(254, { error: "That email address is too long." }));

/** "true"/"false" from a form field, as a boolean. */
export const flagSchema = z.stringbool({ error: "Expected true or false." });

/** A search box's text from the query string. A search never errors: anything unusable searches for everything. */
export const searchTextSchema = z
  .string()
  .trim()
  .transform((q) => q.slice(0, 200))
  .catch("");
