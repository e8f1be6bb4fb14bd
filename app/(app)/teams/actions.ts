"use server";

import { revalidatePath } from "next/cache";

import { formAction } from "@/lib/forms/form-action";
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

// Each permission here depends on the team the form names, so the domain
// functions decide; the forms are small.

function revalidateTeam(team: TeamRef): void {
  revalidatePath("/teams");
  revalidatePath(`/teams/${team.slug}`);
}

const who = (member: MemberView) => member.name ?? member.email;

export const createTeamAction = formAction({
  schema: createTeamSchema,
  async perform(user, input) {
    const team = await createTeam(user, input);
    revalidateTeam(team);
    return `Created ${team.name}.`;
  },
});

export const setTeamArchivedAction = formAction({
  schema: setTeamArchivedSchema,
  async perform(user, input) {
    const team = await setTeamArchived(user, input);
    // Archiving changes the team lists of every member, including the shell's switcher.
    revalidatePath("/", "layout");
    return input.archived ? `Archived ${team.name}.` : `Restored ${team.name}.`;
  },
});

export const addMemberAction = formAction({
  schema: addMemberSchema,
  async perform(user, input) {
    const { team, member } = await addMember(user, input);
    revalidateTeam(team);
    return `Added ${who(member)} as ${ROLE_LABELS[member.role]}.`;
  },
});

export const changeMemberRoleAction = formAction({
  schema: changeMemberRoleSchema,
  async perform(user, input) {
    const { team, member } = await changeMemberRole(user, input);
    revalidateTeam(team);
    return `${who(member)} is now ${ROLE_LABELS[member.role]}.`;
  },
});

export const removeMemberAction = formAction({
  schema: removeMemberSchema,
  async perform(user, input) {
    const { team, member } = await removeMember(user, input);
    revalidateTeam(team);
    return `Removed ${who(member)} from ${team.name}.`;
  },
});
