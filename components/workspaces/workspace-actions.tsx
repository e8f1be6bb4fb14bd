"use client";

import * as React from "react";
import { CircleArrowUp, Play, RefreshCw, RotateCcw, Square, Trash2 } from "lucide-react";

import { operateWorkspaceAction } from "@/app/(app)/workspaces/actions";
import { ActionButton } from "@/components/forms/action-button";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { DialogFormFooter } from "@/components/forms/dialog-form-footer";
import { Button, type ButtonProps } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { availableOperations } from "./workspace-format";

type WorkspaceActionsProps = {
  workspace: { id: string; name: string; state: WorkspaceState; desiredState: DesiredState };
  size?: ButtonProps["size"];
  /** After a delete, go to the workspace list (from the workspace's own page). */
  redirectAfterDelete?: boolean;
  /** A newer version of its template, when there is one to update to. */
  update?: { templateName: string; version: number } | null;
};

/** Update / Start / Retry / Restart / Stop / Delete, as the workspace's state allows. */
function WorkspaceActions({ workspace, size = "sm", redirectAfterDelete = false, update = null }: WorkspaceActionsProps) {
  const operations = availableOperations(workspace.state, workspace.desiredState);
  if (operations.length === 0) return null;
  const fields = (operation: string) => ({ workspaceId: workspace.id, operation });

  const running = workspace.desiredState === "RUNNING";

  return (
    <div className="flex flex-wrap items-center justify-end gap-2">
      {update ? (
        <ActionButton
          action={operateWorkspaceAction}
          fields={fields("update")}
          size={size}
          aria-label={`Update ${workspace.name} to v${update.version}`}
          confirm={{
            title: `Update ${workspace.name} to ${update.templateName} v${update.version}?`,
            description: running
              ? "It restarts on the new version: open terminals are closed and running processes stop. The home volume is kept."
              : "It uses the new version from its next start. The home volume is kept.",
            confirmLabel: "Update",
          }}
        >
          <CircleArrowUp aria-hidden="true" />
          Update
        </ActionButton>
      ) : null}
      {operations.includes("start") ? (
        <ActionButton action={operateWorkspaceAction} fields={fields("start")} size={size} aria-label={`Start ${workspace.name}`}>
          <Play aria-hidden="true" />
          Start
        </ActionButton>
      ) : null}
      {operations.includes("retry") ? (
        <ActionButton action={operateWorkspaceAction} fields={fields("retry")} size={size} aria-label={`Retry ${workspace.name}`}>
          <RotateCcw aria-hidden="true" />
          Retry
        </ActionButton>
      ) : null}
      {operations.includes("restart") ? (
        <ActionButton action={operateWorkspaceAction} fields={fields("restart")} size={size} aria-label={`Restart ${workspace.name}`}>
          <RefreshCw aria-hidden="true" />
          Restart
        </ActionButton>
      ) : null}
      {operations.includes("stop") ? (
        <ActionButton action={operateWorkspaceAction} fields={fields("stop")} size={size} aria-label={`Stop ${workspace.name}`}>
          <Square aria-hidden="true" />
          Stop
        </ActionButton>
      ) : null}
      {operations.includes("delete") ? (
        <DeleteWorkspaceDialog workspace={workspace} size={size} redirectAfterDelete={redirectAfterDelete} />
      ) : null}
    </div>
  );
}

/** Delete, confirmed by typing the workspace's name; or, once its final backup failed, delete without one. */
function DeleteWorkspaceDialog({
  workspace,
  size,
  redirectAfterDelete,
  withoutBackup = false,
}: {
  workspace: { id: string; name: string };
  size: ButtonProps["size"];
  redirectAfterDelete: boolean;
  withoutBackup?: boolean;
}) {
  const [open, setOpen] = React.useState(false);
  const [typed, setTyped] = React.useState("");
  const [state, formAction, pending] = useFormAction(operateWorkspaceAction, { onOk: () => setOpen(false) });
  const id = React.useId();

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) setTyped("");
      }}
    >
      <DialogTrigger asChild>
        <Button
          type="button"
          variant="outline"
          size={size}
          className="text-destructive hover:text-destructive"
          aria-label={withoutBackup ? `Delete ${workspace.name} without a final backup` : `Delete ${workspace.name}`}
        >
          <Trash2 aria-hidden="true" />
          {withoutBackup ? "Delete without a final backup" : "Delete"}
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form action={formAction} className="grid gap-4" noValidate>
          <DialogHeader>
            <DialogTitle>{withoutBackup ? `Delete ${workspace.name} without a final backup?` : `Delete ${workspace.name}?`}</DialogTitle>
            <DialogDescription>
              {withoutBackup
                ? "Its home volume is deleted now, and whatever was written in it since its last backup is lost. This can't be undone."
                : "The workspace stops and its home volume is deleted with everything in it. This can't be undone."}
            </DialogDescription>
          </DialogHeader>
          <HiddenFields
            fields={{
              workspaceId: workspace.id,
              operation: withoutBackup ? "delete-without-backup" : "delete",
              ...(redirectAfterDelete ? { redirectTo: "/workspaces" } : {}),
            }}
          />
          <FormField
            id={`${id}-confirm`}
            name="confirmName"
            label={
              <span>
                Type <span className="font-mono font-semibold">{workspace.name}</span> to confirm
              </span>
            }
            errors={state.fieldErrors?.confirmName}
          >
            {(control) => (
              <Input
                {...control}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                value={typed}
                onChange={(event) => setTyped(event.target.value)}
              />
            )}
          </FormField>
          {state.status === "error" && !state.fieldErrors?.confirmName ? <FormMessage state={state} /> : null}
          <DialogFormFooter
            label={withoutBackup ? "Delete without a backup" : "Delete workspace"}
            pendingLabel="Deleting…"
            pending={pending}
            disabled={typed !== workspace.name}
            variant="destructive"
          />
        </form>
      </DialogContent>
    </Dialog>
  );
}

export { DeleteWorkspaceDialog, WorkspaceActions };
