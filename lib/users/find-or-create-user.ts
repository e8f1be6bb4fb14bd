import { recordAudit } from "@/lib/audit";
import type { Prisma, User } from "@/lib/generated/prisma/client";

/**
 * The user with this email, created if there is none yet (no name, no
 * account) so that what is granted to them is waiting when they first sign
 * in: the sign-in links the SSO identity to this row by email.
 */
export async function findOrCreateUserByEmail(tx: Prisma.TransactionClient, actorId: string, email: string): Promise<User> {
  const normalized = email.trim().toLowerCase();
  const existing = await tx.user.findUnique({ where: { email: normalized } });
  if (existing) return existing;
  const created = await tx.user.create({ data: { email: normalized, name: null } });
  await recordAudit(
    { action: "user.created", actorId, targetType: "user", targetId: created.id, after: { email: normalized } },
    tx,
  );
  return created;
}
