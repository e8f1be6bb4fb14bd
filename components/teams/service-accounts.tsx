"use client";

import * as React from "react";

import { createServiceAccountAction, createServiceAccountTokenAction, removeServiceAccountAction } from "@/app/(app)/teams/[slug]/settings/actions";
import { ActionButton } from "@/components/forms/action-button";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { CreateTokenForm } from "@/components/tokens/create-token-form";
import { TokenList } from "@/components/tokens/token-list";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { ServiceAccountView } from "@/lib/teams/service-accounts";

type ServiceAccountsProps = {
  teamId: string;
  accounts: ServiceAccountView[];
  maxDays: number;
};

function CreateServiceAccountForm({ teamId }: { teamId: string }) {
  const [state, formAction, pending] = useFormAction(createServiceAccountAction);
  const id = React.useId();
  return (
    <form action={formAction} className="flex flex-wrap items-end gap-3" noValidate aria-label="New service account">
      <HiddenFields fields={{ teamId }} />
      <FormField id={`${id}-name`} name="name" label="New service account" hint="Its name, e.g. ci or review-agent" errors={state.fieldErrors?.name} className="w-64">
        {(control) => <Input {...control} defaultValue={state.status === "error" ? state.values?.name : ""} maxLength={32} />}
      </FormField>
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create service account"}
      </Button>
      <FormMessage state={state} className="basis-full" />
    </form>
  );
}

/** A team's robots for CI and agents: each a member of the team, acting only through the tokens made for it here. */
export function ServiceAccounts({ teamId, accounts, maxDays }: ServiceAccountsProps) {
  return (
    <div className="flex flex-col gap-6">
      {accounts.map((account) => (
        <section key={account.id} aria-label={`Service account ${account.name}`} className="flex flex-col gap-3 rounded-md border p-4">
          <div className="flex items-center justify-between gap-3">
            <h3 className="font-mono text-sm font-semibold">{account.name}</h3>
            <ActionButton
              action={removeServiceAccountAction}
              fields={{ serviceAccountId: account.id }}
              variant="destructive"
              aria-label={`Remove ${account.name}`}
              confirm={{
                title: `Remove ${account.name}?`,
                description: "Its tokens stop working at once. Its workspaces stay, for the team's admins to keep or delete.",
                confirmLabel: "Remove service account",
              }}
            >
              Remove
            </ActionButton>
          </div>
          <TokenList tokens={account.tokens} />
          <CreateTokenForm
            action={createServiceAccountTokenAction}
            label={`New token for ${account.name}`}
            fields={{ serviceAccountId: account.id }}
            maxDays={maxDays}
            offersAdmin={false}
          />
        </section>
      ))}
      <CreateServiceAccountForm teamId={teamId} />
    </div>
  );
}
