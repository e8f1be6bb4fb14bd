"use client";

import * as React from "react";
import { Plus } from "lucide-react";

import { createTeamAction } from "@/app/(app)/teams/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { useFormAction } from "@/components/forms/use-form-action";
import { DialogFormFooter } from "@/components/forms/dialog-form-footer";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";

function CreateTeamDialog({ defaultOwnerEmail }: { defaultOwnerEmail: string }) {
  const [open, setOpen] = React.useState(false);
  const [state, formAction, pending] = useFormAction(createTeamAction, { onOk: () => setOpen(false) });
  const id = React.useId();

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <Plus aria-hidden="true" />
          New team
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>New team</DialogTitle>
          <DialogDescription>Teams share templates, quotas and usage. The owner manages its members.</DialogDescription>
        </DialogHeader>
        <form action={formAction} className="grid gap-4" noValidate>
          <FormField id={`${id}-name`} name="name" label="Name" errors={state.fieldErrors?.name}>
            {(control) => <Input {...control} required maxLength={80} defaultValue={state.values?.name} />}
          </FormField>
          <FormField
            id={`${id}-slug`}
            name="slug"
            label="Slug"
            hint="Lowercase letters, digits and hyphens; used in URLs and resource names."
            errors={state.fieldErrors?.slug}
          >
            {(control) => (
              <Input
                {...control}
                required
                maxLength={40}
                autoCapitalize="none"
                spellCheck={false}
                placeholder="machine-learning"
                defaultValue={state.values?.slug}
              />
            )}
          </FormField>
          <FormField
            id={`${id}-owner`}
            name="ownerEmail"
            label="Owner email"
            hint="If they haven't signed in yet, they become owner when they do."
            errors={state.fieldErrors?.ownerEmail}
          >
            {(control) => (
              <Input {...control} type="email" required defaultValue={state.values?.ownerEmail ?? defaultOwnerEmail} />
            )}
          </FormField>
          <FormMessage state={state} />
          <DialogFormFooter label="Create team" pendingLabel="Creating…" pending={pending} />
        </form>
      </DialogContent>
    </Dialog>
  );
}

export { CreateTeamDialog };
