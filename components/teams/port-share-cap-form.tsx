"use client";

import * as React from "react";

import { setPortShareCapAction } from "@/app/(app)/teams/[slug]/settings/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/select";
import { narrowest, SHARE_LEVELS, within, type ShareLevel } from "@/lib/ports/share-level";
import { SHARE_CAP_LABELS } from "@/lib/schemas/ports";

type PortShareCapFormProps = {
  teamId: string;
  /** The team's own cap, as saved. */
  cap: ShareLevel;
  /** PODSPACE_PREVIEW_MAX_SHARE: no choice goes past it. */
  platformCap: ShareLevel;
};

/** A team admin's cap on who its workspaces' ports may be shared with. Saved with its button, not on change. */
function PortShareCapForm({ teamId, cap, platformCap }: PortShareCapFormProps) {
  const [state, formAction, pending] = useFormAction(setPortShareCapAction);
  const id = React.useId();
  const choices = SHARE_LEVELS.filter((level) => within(level, platformCap));
  const platformLimits = platformCap !== "public";

  return (
    <form action={formAction} className="flex flex-col gap-4" noValidate>
      <HiddenFields fields={{ teamId }} />
      <FormField
        id={`${id}-max-share`}
        name="maxShare"
        label="Widest share level members may use"
        hint={
          platformLimits
            ? `The platform allows at most: ${SHARE_CAP_LABELS[platformCap]}, so wider levels aren't offered.`
            : "Public lets members open a port to anyone and send signed links to people outside Podspace."
        }
        errors={state.fieldErrors?.maxShare}
        className="max-w-md"
      >
        {(control) => (
          // Remount on a new saved value so the select shows it.
          <Select {...control} key={cap} defaultValue={state.values?.maxShare ?? narrowest(cap, platformCap)}>
            {choices.map((level) => (
              <option key={level} value={level}>
                {SHARE_CAP_LABELS[level]}
              </option>
            ))}
          </Select>
        )}
      </FormField>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Save"}
        </Button>
        {state.status === "error" && !state.fieldErrors?.maxShare ? <FormMessage state={state} /> : null}
      </div>
    </form>
  );
}

export { PortShareCapForm };
