import type { Prisma } from "@/lib/generated/prisma/client";

/** A user as the admin screens show them. */
export interface AdminUserView {
  id: string;
  email: string;
  name: string | null;
  isPlatformAdmin: boolean;
  /** May create, edit and archive templates. */
  isTemplateAdmin: boolean;
  deactivatedAt: Date | null;
  lastSeenAt: Date | null;
  createdAt: Date;
  teamCount: number;
  /** False for a placeholder created by adding their email to a team. */
  hasSignedIn: boolean;
}

export const adminUserSelect = {
  id: true,
  email: true,
  name: true,
  isPlatformAdmin: true,
  isTemplateAdmin: true,
  deactivatedAt: true,
  lastSeenAt: true,
  createdAt: true,
  _count: { select: { memberships: true, accounts: true } },
} satisfies Prisma.UserSelect;

export function toAdminUserView({ _count, ...user }: Prisma.UserGetPayload<{ select: typeof adminUserSelect }>): AdminUserView {
  return { ...user, teamCount: _count.memberships, hasSignedIn: _count.accounts > 0 };
}
