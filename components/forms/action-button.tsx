"use client";

import * as React from "react";

import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { DialogFormFooter } from "@/components/forms/dialog-form-footer";
import { Button, type ButtonProps } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import type { FormAction } from "@/lib/forms/action-state";

type ActionButtonProps = {
  action: FormAction;
  /** Hidden inputs the action reads, e.g. the id of the row. */
  fields: Record<string, string>;
  children: React.ReactNode;
  variant?: ButtonProps["variant"];
  size?: ButtonProps["size"];
  /** Accessible name when the visible label alone is ambiguous (e.g. one "Remove" per row). */
  "aria-label"?: string;
  /** Runs after the action succeeded, e.g. to reload a list the page fetched itself. */
  onOk?: () => void;
  /** Ask first: the dialog explains what will happen and holds the submit button. */
  confirm?: {
    title: string;
    description: React.ReactNode;
    confirmLabel: string;
  };
};

/** A one-button form for a row action, with an optional confirmation dialog. */
function ActionButton({ action, fields, children, variant = "outline", size = "sm", onOk, confirm, ...props }: ActionButtonProps) {
  const [open, setOpen] = React.useState(false);
  const [state, formAction, pending] = useFormAction(action, {
    onOk: () => {
      setOpen(false);
      onOk?.();
    },
    toastErrors: !confirm,
  });
  const destructive = variant === "destructive";

  if (!confirm) {
    return (
      <form action={formAction}>
        <HiddenFields fields={fields} />
        <Button type="submit" variant={variant} size={size} disabled={pending} aria-label={props["aria-label"]}>
          {children}
        </Button>
      </form>
    );
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        {/* A column of solid red row buttons shouts; the dialog's confirm button carries the weight. */}
        <Button
          type="button"
          variant={destructive ? "outline" : variant}
          size={size}
          aria-label={props["aria-label"]}
          className={destructive ? "text-destructive hover:text-destructive" : undefined}
        >
          {children}
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form action={formAction} className="grid gap-4">
          <DialogHeader>
            <DialogTitle>{confirm.title}</DialogTitle>
            <DialogDescription>{confirm.description}</DialogDescription>
          </DialogHeader>
          <HiddenFields fields={fields} />
          <FormMessage state={state} />
          <DialogFormFooter
            label={confirm.confirmLabel}
            pendingLabel="Working…"
            pending={pending}
            variant={destructive ? "destructive" : "default"}
          />
        </form>
      </DialogContent>
    </Dialog>
  );
}

export { ActionButton, type ActionButtonProps };
