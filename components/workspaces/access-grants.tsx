"use client";

import * as React from "react";
import { ShieldAlert } from "lucide-react";

import { endAccessAction, getAdminAccessAction } from "@/app/(app)/workspaces/actions";
import { ActionButton } from "@/components/forms/action-button";
import { DialogFormFooter } from "@/components/forms/dialog-form-footer";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { Textarea } from "@/components/templates/textarea";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import type { AccessGrantView } from "@/lib/workspaces/get-workspace";
import { formatDateTime } from "./workspace-format";

// Access to a workspace's terminal and IDE beyond its owner's: a platform
// admin asks for it with a reason (lib/workspaces/admin-access.ts), and the
// workspace page lists it for whoever looks after the workspace to see and end.

/** "Get admin access": asks why, then grants the platform admin an hour's access. */
function AdminAccessDialog({ workspace }: { workspace: { id: string; name: string } }) {
  const [open, setOpen] = React.useState(false);
  const [state, formAction, pending] = useFormAction(getAdminAccessAction, { onOk: () => setOpen(false) });
  const id = React.useId();

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button type="button" variant="outline" size="sm">
          <ShieldAlert aria-hidden="true" />
          Get admin access
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form action={formAction} className="grid gap-4" noValidate>
          <DialogHeader>
            <DialogTitle>Get admin access to {workspace.name}?</DialogTitle>
            <DialogDescription>
              You&apos;ll be able to open its terminal and IDE, with its owner&apos;s rights, for one hour. The owner and the team&apos;s owners and
              admins see that you have access and why, and can end it; the audit log keeps a record.
            </DialogDescription>
          </DialogHeader>
          <HiddenFields fields={{ workspaceId: workspace.id }} />
          <FormField id={`${id}-reason`} name="reason" label="Why do you need access?" hint="10 to 500 characters." errors={state.fieldErrors?.reason}>
            {(control) => (
              <Textarea {...control} required minLength={10} maxLength={500} defaultValue={state.status === "error" ? state.values?.reason : undefined} />
            )}
          </FormField>
          {state.status === "error" && !state.fieldErrors?.reason ? <FormMessage state={state} /> : null}
          <DialogFormFooter label="Get access" pendingLabel="Granting…" pending={pending} />
        </form>
      </DialogContent>
    </Dialog>
  );
}

/** Who else may open the workspace's terminal and IDE, until when and why; "End access" for those who may end it. */
function AccessGrantList({ grants, canEnd }: { grants: AccessGrantView[]; canEnd: boolean }) {
  return (
    <section aria-labelledby="access-heading" className="flex flex-col gap-3 rounded-lg border border-warning/40 bg-warning/10 p-4">
      <h2 id="access-heading" className="text-base font-semibold">
        Admin access
      </h2>
      <ul className="flex flex-col gap-3">
        {grants.map((grant) => {
          const who = grant.grantee.name ?? grant.grantee.email;
          return (
            <li key={grant.id} className="flex flex-wrap items-start justify-between gap-3">
              <div className="flex min-w-0 flex-col gap-1 text-sm">
                <p>
                  <span className="font-medium">{who}</span> can open the terminal and IDE until{" "}
                  <time dateTime={grant.expiresAt.toISOString()} suppressHydrationWarning>
                    {formatDateTime(grant.expiresAt)}
                  </time>
                  .
                </p>
                <p className="break-words text-muted-foreground">&ldquo;{grant.reason}&rdquo;</p>
              </div>
              {canEnd ? (
                <ActionButton
                  action={endAccessAction}
                  fields={{ grantId: grant.id }}
                  variant="destructive"
                  aria-label={`End ${who}'s access`}
                  confirm={{
                    title: `End ${who}'s access?`,
                    description: "Their open terminals and IDE close within a few seconds.",
                    confirmLabel: "End access",
                  }}
                >
                  End access
                </ActionButton>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export { AccessGrantList, AdminAccessDialog };
