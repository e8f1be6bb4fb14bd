"use client";

import { Button, type ButtonProps } from "@/components/ui/button";
import { DialogClose, DialogFooter } from "@/components/ui/dialog";

type DialogFormFooterProps = {
  /** The submit button's label, and what it says while the action runs. */
  label: string;
  pendingLabel: string;
  pending: boolean;
  disabled?: boolean;
  variant?: ButtonProps["variant"];
};

/** Cancel and submit, the end of every form in a dialog. */
function DialogFormFooter({ label, pendingLabel, pending, disabled = false, variant = "default" }: DialogFormFooterProps) {
  return (
    <DialogFooter>
      <DialogClose asChild>
        <Button type="button" variant="outline">
          Cancel
        </Button>
      </DialogClose>
      <Button type="submit" variant={variant} disabled={pending || disabled}>
        {pending ? pendingLabel : label}
      </Button>
    </DialogFooter>
  );
}

export { DialogFormFooter };
