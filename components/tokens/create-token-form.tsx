"use client";

import * as React from "react";

import { FormField } from "@/components/forms/form-field";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { FormMessage } from "@/components/forms/form-message";
import { ShownOnce } from "@/components/forms/shown-once";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { API_SCOPES, SCOPE_DESCRIPTIONS } from "@/lib/api-tokens/scopes";
import type { FormAction } from "@/lib/forms/action-state";

type CreateTokenFormProps = {
  /** Makes the token: the user's own, or a service account's. */
  action: FormAction;
  /** The form's accessible name. */
  label: string;
  /** Hidden fields the action needs, e.g. the service account's id. */
  fields?: Record<string, string>;
  /** The longest a token may live here (PODSPACE_API_TOKEN_MAX_DAYS). */
  maxDays: number;
  /** The teams it may be bound to; a service account's is bound to its own, so it gets no choice. */
  teams?: Array<{ id: string; slug: string; name: string }>;
  /** Whether the admin scope is worth offering (the user has admin rights to lend). */
  offersAdmin: boolean;
};

const LIFETIMES = [7, 30, 90, 365];
/** What a new token may do unless its maker chooses otherwise: enough for a script that drives workspaces. */
const DEFAULT_SCOPES = new Set(["read", "workspaces:write"]);

/** A new token's name, lifetime, scopes and team; once made, its secret, shown once. */
export function CreateTokenForm({ action, label, fields = {}, maxDays, teams, offersAdmin }: CreateTokenFormProps) {
  const [state, formAction, pending] = useFormAction(action);
  const id = React.useId();
  const lifetimes = [...new Set([...LIFETIMES.filter((days) => days < maxDays), maxDays])];
  const token = state.status === "ok" ? state.result?.token : undefined;
  const scopes = API_SCOPES.filter((scope) => scope !== "admin" || offersAdmin);

  return (
    <div className="flex flex-col gap-4">
      {token ? (
        <ShownOnce label="The new token" value={token} copyLabel="Copy the token">
          Copy it now: you won&apos;t see it again. Use it as <code>Authorization: Bearer &lt;token&gt;</code>, or with{" "}
          <code>podspace login --token</code>.
        </ShownOnce>
      ) : null}
      <form action={formAction} className="grid gap-4 sm:grid-cols-2" noValidate aria-label={label}>
        <HiddenFields fields={fields} />
        <FormField id={`${id}-name`} name="name" label="Name" hint="What uses it, e.g. ci or my-laptop" errors={state.fieldErrors?.name}>
          {(control) => <Input {...control} defaultValue={state.status === "error" ? state.values?.name : ""} maxLength={64} />}
        </FormField>
        <FormField id={`${id}-days`} name="days" label="Expires after" errors={state.fieldErrors?.days}>
          {(control) => (
            <Select {...control} defaultValue={state.values?.days ?? String(Math.min(30, maxDays))}>
              {lifetimes.map((days) => (
                <option key={days} value={days}>
                  {days} days
                </option>
              ))}
            </Select>
          )}
        </FormField>
        {teams ? (
          <FormField id={`${id}-team`} name="teamId" label="Team" hint="Bound to one team, it reaches nothing outside it" errors={state.fieldErrors?.teamId}>
            {(control) => (
              <Select {...control} defaultValue={state.values?.teamId ?? ""}>
                <option value="">Every team of mine</option>
                {teams.map((team) => (
                  <option key={team.id} value={team.id}>
                    {team.name}
                  </option>
                ))}
              </Select>
            )}
          </FormField>
        ) : null}
        <fieldset className="flex flex-col gap-2 sm:col-span-2" aria-describedby={state.fieldErrors?.scopes ? `${id}-scopes-error` : undefined}>
          <legend className="mb-1 text-sm font-medium">Scopes</legend>
          {scopes.map((scope) => (
            <label key={scope} className="flex items-start gap-2 text-sm">
              <input
                type="checkbox"
                name="scopes"
                value={scope}
                defaultChecked={DEFAULT_SCOPES.has(scope)}
                className="mt-0.5 size-4"
              />
              <span>
                <code className="font-medium">{scope}</code> <span className="text-muted-foreground">{SCOPE_DESCRIPTIONS[scope]}</span>
              </span>
            </label>
          ))}
          {state.fieldErrors?.scopes ? (
            <p id={`${id}-scopes-error`} className="text-xs font-medium text-destructive">
              {state.fieldErrors.scopes.join(" ")}
            </p>
          ) : null}
        </fieldset>
        <div className="flex items-center gap-3 sm:col-span-2">
          <Button type="submit" disabled={pending}>
            {pending ? "Creating…" : "Create token"}
          </Button>
          <FormMessage state={state} />
        </div>
      </form>
    </div>
  );
}
