"use server";

import { revalidatePath } from "next/cache";
import { cookies } from "next/headers";

import { requireUser } from "@/lib/auth/current-user";
import { signOut } from "@/lib/auth/auth";
import type { ActionState } from "@/lib/forms/action-state";
import { selectTeamSchema } from "@/lib/schemas/teams";
import { TEAM_COOKIE } from "@/lib/teams/selected-team";

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}

/** Remembers the team the user switched to, for pages that work in one team. */
export async function selectTeamAction(slug: string): Promise<ActionState> {
  const user = await requireUser();
  const parsed = selectTeamSchema.safeParse({ slug });
  const team = parsed.success ? user.teams.find((t) => t.slug === parsed.data.slug) : undefined;
  if (!team) return { status: "error", message: "You aren't a member of that team." };

  (await cookies()).set(TEAM_COOKIE, team.slug, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    maxAge: 60 * 60 * 24 * 365,
  });
  revalidatePath("/", "layout");
  return { status: "ok", message: `Switched to ${team.name}.` };
}
