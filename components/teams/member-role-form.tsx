"use client";

import { changeMemberRoleAction } from "@/app/(app)/teams/actions";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { RoleOptions } from "@/components/teams/role-options";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/select";
import type { TeamRole } from "@/lib/generated/prisma/enums";

type MemberRoleFormProps = {
  teamId: string;
  userId: string;
  role: TeamRole;
  /** The roles this user may give the member. */
  roles: readonly TeamRole[];
  /** Names the member for screen readers: "Role for …". */
  memberLabel: string;
};

// An explicit Save button rather than submitting on change: arrowing through
// a native select must not fire a role change per option.
function MemberRoleForm({ teamId, userId, role, roles, memberLabel }: MemberRoleFormProps) {
  const [, formAction, pending] = useFormAction(changeMemberRoleAction, { toastErrors: true });

  return (
    <form action={formAction} className="flex items-center gap-2">
      <HiddenFields fields={{ teamId, userId }} />
      <div className="w-28">
        <Select name="role" defaultValue={role} aria-label={`Role for ${memberLabel}`} className="h-8">
          <RoleOptions roles={roles} />
        </Select>
      </div>
      <Button type="submit" variant="outline" size="sm" disabled={pending} aria-label={`Save role for ${memberLabel}`}>
        Save
      </Button>
    </form>
  );
}

export { MemberRoleForm };
