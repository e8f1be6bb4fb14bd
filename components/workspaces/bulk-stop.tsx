"use client";

import * as React from "react";
import { Square } from "lucide-react";

import { bulkStopAction } from "@/app/(app)/workspaces/actions";
import { FormMessage } from "@/components/forms/form-message";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";

// Bulk stop for team owners and admins. The row checkboxes live in the table
// (a server component) and join this form through their `form` attribute,
// so the table needs no client state of its own.

/** The row boxes that belong to the form. */
function rowBoxes(form: HTMLFormElement | null): HTMLInputElement[] {
  if (!form) return [];
  return [...form.elements].filter((element): element is HTMLInputElement => element instanceof HTMLInputElement && element.name === "workspaceId");
}

/** Counts the row boxes of the form with `formId`, and the checked ones, following every change. */
function useSelection(formId: string) {
  const [{ selected, total }, setCounts] = React.useState({ selected: 0, total: 0 });
  React.useEffect(() => {
    const form = document.getElementById(formId) as HTMLFormElement | null;
    const count = () => {
      const boxes = rowBoxes(form);
      const next = { selected: boxes.filter((box) => box.checked).length, total: boxes.length };
      // Same counts, same object: no re-render, so the observer below can't feed itself.
      setCounts((previous) => (previous.selected === next.selected && previous.total === next.total ? previous : next));
    };
    count();
    document.addEventListener("change", count);
    // Rows come and go as the list refreshes after a stop.
    const observer = new MutationObserver(count);
    observer.observe(document.body, { childList: true, subtree: true });
    return () => {
      document.removeEventListener("change", count);
      observer.disconnect();
    };
  }, [formId]);
  return { selected, total };
}

function BulkStopForm({ formId }: { formId: string }) {
  const { selected } = useSelection(formId);
  const [state, formAction, pending] = useFormAction(bulkStopAction);

  return (
    <form id={formId} action={formAction} className="flex flex-wrap items-center gap-3">
      <Button type="submit" variant="outline" size="sm" disabled={pending || selected === 0}>
        <Square aria-hidden="true" />
        {pending ? "Stopping…" : selected > 0 ? `Stop ${selected} selected` : "Stop selected"}
      </Button>
      <FormMessage state={state} />
    </form>
  );
}

/** The header box: checks or clears every row box of the form, which are the running workspaces of the page shown. */
function SelectAllCheckbox({ formId }: { formId: string }) {
  const { selected, total } = useSelection(formId);

  return (
    <input
      type="checkbox"
      aria-label="Select every running workspace on this page"
      className="size-4 accent-primary"
      disabled={total === 0}
      checked={total > 0 && selected === total}
      onChange={(event) => {
        const boxes = rowBoxes(document.getElementById(formId) as HTMLFormElement | null);
        for (const box of boxes) box.checked = event.target.checked;
        // Programmatic changes fire no event of their own; the counters listen for one.
        document.dispatchEvent(new Event("change"));
      }}
    />
  );
}

export { BulkStopForm, SelectAllCheckbox };
