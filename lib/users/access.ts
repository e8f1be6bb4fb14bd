import { can, type Actor } from "@/lib/authz";
import { AppError } from "@/lib/errors";

export function userNotFound(): AppError {
  return new AppError("not_found", "User not found.");
}

/** User administration is out of reach, hence "not found", for anyone but platform admins. */
export function assertAdministersUsers(actor: Actor): void {
  if (!can(actor, "user:administer")) throw userNotFound();
}
