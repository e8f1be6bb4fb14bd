"use client";

import { useActionState } from "react";

import { toast } from "@/components/ui/toast";
import { idleState, type ActionState, type FormAction } from "@/lib/forms/action-state";

type Options = {
  /** Runs after a successful submission, e.g. to close a dialog. */
  onOk?: () => void;
  /** Also toast errors, for forms with no room to show them inline. */
  toastErrors?: boolean;
};

/** useActionState for a server form action, toasting its outcome. */
export function useFormAction(action: FormAction, { onOk, toastErrors = false }: Options = {}) {
  return useActionState(async (previous: ActionState, formData: FormData) => {
    const state = await action(previous, formData);
    if (state.status === "ok") {
      toast({ title: state.message ?? "Saved", variant: "success" });
      onOk?.();
    } else if (state.status === "error" && toastErrors) {
      toast({ title: state.message ?? "Something went wrong", variant: "destructive" });
    }
    return state;
  }, idleState);
}
