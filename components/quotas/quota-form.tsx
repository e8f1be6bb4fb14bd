"use client";

import * as React from "react";

import { saveQuotaAction } from "@/app/(app)/teams/[slug]/settings/quotas/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { describeLimit, formValue, QUOTA_FIELD_INFO } from "@/components/quotas/quota-fields";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { QuotaValues } from "@/lib/quotas/limits";

type QuotaFormProps = {
  teamId: string;
  scope: "LIMIT" | "CEILING";
  title: string;
  description: string;
  values: QuotaValues;
  /** For the team's limits: the platform's ceilings, shown as hints. */
  ceiling?: QuotaValues;
};

/** One quota row's form: every limit (empty for none), in cores and GiB. */
function QuotaForm({ teamId, scope, title, description, values, ceiling }: QuotaFormProps) {
  const [state, formAction, pending] = useFormAction(saveQuotaAction);
  const id = React.useId();
  const shown = (name: string, saved: string) => state.values?.[name] ?? saved;

  return (
    <form action={formAction} aria-labelledby={`${id}-title`} className="flex flex-col gap-4" noValidate>
      <div className="flex flex-col gap-1">
        <h2 id={`${id}-title`} className="text-base font-semibold">
          {title}
        </h2>
        <p className="text-sm text-muted-foreground">{description}</p>
      </div>
      <HiddenFields fields={{ teamId, scope }} />
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {QUOTA_FIELD_INFO.map((info) => {
          const cap = ceiling?.[info.field] ?? null;
          return (
            <FormField
              key={info.field}
              id={`${id}-${info.name}`}
              name={info.name}
              label={info.unit ? `${info.label} (${info.unit})` : info.label}
              hint={ceiling ? (cap === null ? "No platform ceiling." : `Platform ceiling: ${describeLimit(info, cap)}.`) : undefined}
              errors={state.fieldErrors?.[info.name]}
            >
              {(control) => (
                <Input
                  {...control}
                  type="number"
                  inputMode="decimal"
                  min={0}
                  step={info.step}
                  placeholder="No limit"
                  defaultValue={shown(info.name, formValue(info, values))}
                />
              )}
            </FormField>
          );
        })}
      </div>
      {scope === "CEILING" ? (
        <label className="flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            name="stopAtBudget"
            className="mt-0.5 size-4"
            defaultChecked={state.values ? state.values.stopAtBudget === "on" : values.stopAtBudget}
          />
          <span>
            Stop at budget
            <span className="block text-xs text-muted-foreground">
              When the monthly CPU budget is used up, stop the team&apos;s running workspaces too. Otherwise they keep running until their idle stop.
            </span>
          </span>
        </label>
      ) : null}
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : scope === "LIMIT" ? "Save limits" : "Save ceilings"}
        </Button>
        <FormMessage state={state} />
      </div>
    </form>
  );
}

export { QuotaForm };
