import { cache } from "react";
import { redirect } from "next/navigation";
import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import { auth } from "./auth";

export interface TeamSummary {
  id: string;
  slug: string;
  name: string;
  role: TeamRole;
  /** When the user joined it: the team they work in until they choose one (lib/teams/selected-team.ts). */
  joinedAt: Date;
}

/** The signed-in user as pages, actions and sockets see them. */
export interface CurrentUser extends Actor {
  email: string;
  name: string | null;
  image: string | null;
  /** Active (not archived) teams the user belongs to, by name. */
  teams: TeamSummary[];
}

/**
 * Loads a user with their team roles, straight from the database on every
 * call, so deactivation and membership changes apply to the very next
 * request. Null for unknown or deactivated users.
 */
export async function loadCurrentUser(userId: string): Promise<CurrentUser | null> {
  const user = await getDb().user.findUnique({
    where: { id: userId },
    include: {
      memberships: {
        where: { team: { archivedAt: null } },
        include: { team: { select: { id: true, slug: true, name: true } } },
        orderBy: { team: { name: "asc" } },
      },
    },
  });
  if (!user || user.deactivatedAt) return null;
  const teams = user.memberships.map(({ team, role, createdAt }) => ({ ...team, role, joinedAt: createdAt }));
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    image: user.image,
    isPlatformAdmin: user.isPlatformAdmin,
    isTemplateAdmin: user.isTemplateAdmin,
    roles: new Map(teams.map((team) => [team.id, team.role])),
    teams,
  };
}

/** The user behind this request's session cookie, read once per request. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const session = await auth();
  return session?.user?.id ? loadCurrentUser(session.user.id) : null;
});

/** For pages and server actions that need a signed-in user: sends anyone else to /login. */
export async function requireUser(): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  return user;
}
