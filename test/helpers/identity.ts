import { randomBytes } from "node:crypto";
import { loadCurrentUser, type CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import type { Team, User } from "@/lib/generated/prisma/client";
import type { TeamRole } from "@/lib/generated/prisma/enums";

// Fixtures for identity tests, written straight to the app database.

export function createUser(email: string, data: { name?: string; isPlatformAdmin?: boolean } = {}): Promise<User> {
  return getDb().user.create({ data: { email, name: data.name ?? null, isPlatformAdmin: data.isPlatformAdmin ?? false } });
}

export function createTeamWith(slug: string, members: ReadonlyArray<readonly [User, TeamRole]> = []): Promise<Team> {
  return getDb().team.create({
    data: { slug, name: slug.toUpperCase(), memberships: { create: members.map(([user, role]) => ({ userId: user.id, role })) } },
  });
}

/** The user as a request would see them: roles loaded fresh from the database. */
export async function actorFor(user: Pick<User, "id">): Promise<CurrentUser> {
  const actor = await loadCurrentUser(user.id);
  if (!actor) throw new Error(`user ${user.id} is unknown or deactivated`);
  return actor;
}

export function auditLogFor(targetId: string) {
  return getDb().auditLog.findMany({ where: { targetId }, orderBy: { createdAt: "asc" } });
}

/** A database session for `user`, as Auth.js creates at sign-in; returns its token, the session cookie's value. */
export async function createSession(user: Pick<User, "id">, expiresInMs = 24 * 3600_000): Promise<string> {
  const sessionToken = randomBytes(24).toString("base64url");
  await getDb().session.create({ data: { sessionToken, userId: user.id, expires: new Date(Date.now() + expiresInMs) } });
  return sessionToken;
}

/** The Cookie header a browser signed in with `token` sends (over http). */
export const sessionCookie = (token: string) => `authjs.session-token=${token}`;
