import { Prisma } from "@/lib/generated/prisma/client";

export type AppErrorCode = "not_found" | "forbidden" | "conflict" | "invalid" | "quota";

/**
 * A failure the user may be told about: the message is safe to show as is.
 * `field` names the form field the message belongs next to, if any.
 */
export class AppError extends Error {
  override name = "AppError";

  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A unique-constraint violation (P2002) becomes the given conflict; anything else is rethrown as is. */
export function conflictOnUnique(error: unknown, conflict: AppError): unknown {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002" ? conflict : error;
}

/**
 * Prisma couldn't run a transaction in time (P2028): every database
 * connection was busy, or the transaction outlived its timeout. Either way
 * it was rolled back, so nothing changed and the same request may simply be
 * tried again.
 */
export function isDatabaseBusy(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2028";
}

/**
 * Prisma's codes for a database that could not serve the request at all:
 * unreachable (P1001), timed out connecting (P1002) or in an operation
 * (P1008), connection closed (P1017), no connection from the pool in time
 * (P2024), a transaction that could not start (P2028, see isDatabaseBusy).
 */
const UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);

/**
 * The database, not the request, failed: nothing was decided, and the same
 * request may succeed once the database is reachable and has connections.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return (
    error instanceof Prisma.PrismaClientInitializationError ||
    (error instanceof Prisma.PrismaClientKnownRequestError && UNAVAILABLE_CODES.has(error.code))
  );
}

/**
 * An AppError with messages for several form fields at once (a template
 * spec with three problems): `fieldErrors` maps each field to its messages.
 */
export class FormError extends AppError {
  override name = "FormError";

  constructor(
    message: string,
    readonly fieldErrors: Record<string, string[]>,
  ) {
    super("invalid", message);
  }
}
