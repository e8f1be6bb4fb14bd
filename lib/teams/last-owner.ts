import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";

/** Throws unless the team has an owner besides this user. Call with the team row locked. */
export async function assertAnotherOwner(tx: Prisma.TransactionClient, teamId: string, userId: string): Promise<void> {
  const others = await tx.membership.count({ where: { teamId, role: "OWNER", userId: { not: userId } } });
  if (others === 0) {
    throw new AppError("conflict", "A team must keep at least one owner. Make someone else an owner first.");
  }
}
