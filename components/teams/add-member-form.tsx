"use client";

import * as React from "react";

import { addMemberAction } from "@/app/(app)/teams/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { RoleOptions } from "@/components/teams/role-options";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import type { TeamRole } from "@/lib/generated/prisma/enums";

type AddMemberFormProps = {
  teamId: string;
  /** The roles this user may grant. */
  roles: readonly TeamRole[];
};

function AddMemberForm({ teamId, roles }: AddMemberFormProps) {
  const [state, formAction, pending] = useFormAction(addMemberAction);
  const id = React.useId();

  return (
    <form action={formAction} aria-labelledby={`${id}-title`} className="flex flex-col gap-3" noValidate>
      <h2 id={`${id}-title`} className="text-base font-semibold">
        Add a member
      </h2>
      <HiddenFields fields={{ teamId }} />
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_10rem_auto] sm:items-start">
        <FormField
          id={`${id}-email`}
          name="email"
          label="Email"
          hint="Someone who hasn't signed in yet joins the team on their first sign-in."
          errors={state.fieldErrors?.email}
        >
          {(control) => (
            <Input
              {...control}
              type="email"
              required
              autoComplete="off"
              placeholder="name@company.com"
              defaultValue={state.values?.email}
            />
          )}
        </FormField>
        <FormField id={`${id}-role`} name="role" label="Role" errors={state.fieldErrors?.role}>
          {(control) => (
            <Select {...control} defaultValue={state.values?.role ?? "MEMBER"}>
              <RoleOptions roles={roles} />
            </Select>
          )}
        </FormField>
        <Button type="submit" disabled={pending} className="sm:mt-6">
          {pending ? "Adding…" : "Add member"}
        </Button>
      </div>
      <FormMessage state={state} />
    </form>
  );
}

export { AddMemberForm };
