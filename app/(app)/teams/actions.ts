"use server";

import { revalidatePath } from "next/cache";

import { requireUser } from "@/lib/auth/current-user";
import type { ActionState } from "@/lib/forms/action-state";
import { runAction } from "@/lib/forms/run-action";
import {
  addMemberSchema,
  changeMemberRoleSchema,
  createTeamSchema,
  removeMemberSchema,
  ROLE_LABELS,
  setTeamArchivedSchema,
} from "@/lib/schemas/teams";
import type { TeamRef } from "@/lib/teams/access";
import { addMember } from "@/lib/teams/add-member";
import { changeMemberRole } from "@/lib/teams/change-member-role";
import { createTeam } from "@/lib/teams/create-team";
import type { MemberView } from "@/lib/teams/member-view";
import { removeMember } from "@/lib/teams/remove-member";
import { setTeamArchived } from "@/lib/teams/set-team-archived";

function revalidateTeam(team: TeamRef): void {
  revalidatePath("/teams");
  revalidatePath(`/teams/${team.slug}`);
}

const who = (member: MemberView) => member.name ?? member.email;

export async function createTeamAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(createTeamSchema, formData, async (input) => {
    const team = await createTeam(user, input);
    revalidateTeam(team);
    return `Created ${team.name}.`;
  });
}

export async function setTeamArchivedAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(setTeamArchivedSchema, formData, async (input) => {
    const team = await setTeamArchived(user, input);
    // Archiving changes the team lists of every member, including the shell's switcher.
    revalidatePath("/", "layout");
    return input.archived ? `Archived ${team.name}.` : `Restored ${team.name}.`;
  });
}

export async function addMemberAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(addMemberSchema, formData, async (input) => {
    const { team, member } = await addMember(user, input);
    revalidateTeam(team);
    return `Added ${who(member)} as ${ROLE_LABELS[member.role]}.`;
  });
}

export async function changeMemberRoleAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(changeMemberRoleSchema, formData, async (input) => {
    const { team, member } = await changeMemberRole(user, input);
    revalidateTeam(team);
    return `${who(member)} is now ${ROLE_LABELS[member.role]}.`;
  });
}

export async function removeMemberAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(removeMemberSchema, formData, async (input) => {
    const { team, member } = await removeMember(user, input);
    revalidateTeam(team);
    return `Removed ${who(member)} from ${team.name}.`;
  });
}
