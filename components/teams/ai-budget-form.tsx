"use client";

import * as React from "react";

import { setAiBudgetAction } from "@/app/(app)/teams/[slug]/settings/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { AiBudgetValues } from "@/lib/ai/budget-settings";

type AiBudgetFormProps = {
  teamId: string;
  scope: "LIMIT" | "CEILING";
  values: AiBudgetValues;
  /** The other row, shown as each field's bound: the ceiling for a team's limit. */
  ceiling?: AiBudgetValues;
  /** Aliases and models the gateway knows, suggested for the allow-list. */
  models: string[];
};

const dollarsOf = (micros: number | null) => (micros === null ? "" : String(micros / 1e6));
const tokensOf = (tokens: number | null) => (tokens === null ? "" : String(tokens));

/** A team's monthly AI budgets (team and per member, tokens and USD) and its model allow-list. */
function AiBudgetForm({ teamId, scope, values, ceiling, models }: AiBudgetFormProps) {
  const [state, formAction, pending] = useFormAction(setAiBudgetAction);
  const id = React.useId();
  const errors = state.fieldErrors;
  const saved = JSON.stringify(values);
  const at = (name: string, fallback: string) => (state.status === "error" ? (state.values?.[name] ?? "") : fallback);
  const bound = (text: string | null) => (text === null ? "Empty: no limit." : `Empty: no limit of the team's own; the platform allows at most ${text}.`);
  const fields = [
    { name: "teamTokens", label: "Team tokens a month", value: tokensOf(values.teamTokens), hint: bound(ceiling?.teamTokens != null ? `${ceiling.teamTokens.toLocaleString("en")} tokens` : null) },
    { name: "teamDollars", label: "Team spend a month (USD)", value: dollarsOf(values.teamCostMicros), hint: bound(ceiling?.teamCostMicros != null ? `$${dollarsOf(ceiling.teamCostMicros)}` : null) },
    { name: "memberTokens", label: "Tokens a month per member", value: tokensOf(values.memberTokens), hint: bound(ceiling?.memberTokens != null ? `${ceiling.memberTokens.toLocaleString("en")} tokens` : null) },
    { name: "memberDollars", label: "Spend a month per member (USD)", value: dollarsOf(values.memberCostMicros), hint: bound(ceiling?.memberCostMicros != null ? `$${dollarsOf(ceiling.memberCostMicros)}` : null) },
  ];
  // The schema's field names for its errors: the form's USD fields are stored as micros.
  const errorField: Record<string, string> = { teamDollars: "teamCostMicros", memberDollars: "memberCostMicros" };

  return (
    <form action={formAction} className="flex flex-col gap-4" noValidate aria-label={scope === "CEILING" ? "AI ceilings" : "AI budget"}>
      <HiddenFields fields={{ teamId, scope }} />
      <div className="grid gap-4 sm:grid-cols-2">
        {fields.map((field) => (
          <FormField key={field.name} id={`${id}-${field.name}`} name={field.name} label={field.label} hint={field.hint} errors={errors?.[field.name] ?? errors?.[errorField[field.name] ?? ""]}>
            {(control) => <Input {...control} key={saved} inputMode="decimal" placeholder="No limit" defaultValue={at(field.name, field.value)} />}
          </FormField>
        ))}
      </div>
      <FormField
        id={`${id}-models`}
        name="allowedModels"
        label="Models the team may use"
        hint={`Aliases or provider/model names, separated by commas; empty: all${ceiling?.allowedModels.length ? ` the platform allows (${ceiling.allowedModels.join(", ")})` : ""}. Here: ${models.join(", ") || "none configured"}.`}
        errors={errors?.allowedModels}
      >
        {(control) => <Input {...control} key={saved} placeholder="All" defaultValue={at("allowedModels", values.allowedModels.join(", "))} />}
      </FormField>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Save"}
        </Button>
        <FormMessage state={state} />
      </div>
    </form>
  );
}

export { AiBudgetForm };
