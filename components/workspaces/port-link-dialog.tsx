"use client";

import * as React from "react";
import { Link2 } from "lucide-react";

import { createPortLinkAction, revokePortLinkAction } from "@/app/(app)/workspaces/actions";
import { ActionButton } from "@/components/forms/action-button";
import { DialogFormFooter } from "@/components/forms/dialog-form-footer";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { ShownOnce } from "@/components/forms/shown-once";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Select } from "@/components/ui/select";
import { DEFAULT_LINK_HOURS, LINK_LIFETIMES } from "@/lib/ports/link-lifetime";
import type { PortLinkRow } from "@/lib/ports/workspace-ports";
import { formatDateTime, formatRelative } from "./workspace-format";

// Signed links to one port, for the workspace's owner (lib/ports/port-links.ts):
// a link lets anyone who has it open the port without signing in, until it
// expires or is revoked. Its URL carries a secret Podspace stores only the
// hash of, so the dialog shows it once, right after creating it.

type PortLinkDialogProps = {
  workspaceId: string;
  port: number;
  /** The port's links in force, newest first. */
  links: PortLinkRow[];
  /** Why links can't be made (the caps don't allow public): the button is disabled and says so. */
  refusal: { text: string; id: string } | null;
  /** After a link is created or revoked: the list reloads. */
  onChange: () => void;
};

/** The URL just created, to copy now: closing the dialog loses it for good. */
function CreatedLink({ url, port }: { url: string; port: number }) {
  return (
    <ShownOnce label={`Link to port ${port}`} value={url} copyLabel="Copy the link">
      Copy it now: you won&apos;t see it again. Podspace keeps only a fingerprint of it, so a lost link can&apos;t be shown, only revoked and replaced.
    </ShownOnce>
  );
}

/** Picks how long the link lasts and creates it; then shows it, once. Mounted with the dialog's content, so reopening starts afresh. */
function CreateLinkForm({ workspaceId, port, onCreated }: { workspaceId: string; port: number; onCreated: () => void }) {
  const [state, formAction, pending] = useFormAction(createPortLinkAction, { onOk: onCreated });
  const id = React.useId();
  const url = state.status === "ok" ? state.result?.url : undefined;

  // Closed with the dialog's own close button: nothing more to do here.
  if (url) return <CreatedLink url={url} port={port} />;
  return (
    <form action={formAction} className="grid gap-4" noValidate>
      <HiddenFields fields={{ workspaceId, port: String(port) }} />
      <FormField id={`${id}-hours`} name="hours" label="Expires after" errors={state.fieldErrors?.hours}>
        {(control) => (
          <Select {...control} defaultValue={state.values?.hours ?? String(DEFAULT_LINK_HOURS)}>
            {LINK_LIFETIMES.map(({ hours, label }) => (
              <option key={hours} value={hours}>
                {label}
              </option>
            ))}
          </Select>
        )}
      </FormField>
      {state.status === "error" && !state.fieldErrors?.hours ? <FormMessage state={state} /> : null}
      <DialogFormFooter label="Create link" pendingLabel="Creating…" pending={pending} />
    </form>
  );
}

/** The links in force, each revocable (after a confirmation). */
function LinkList({ port, links, onRevoked }: { port: number; links: PortLinkRow[]; onRevoked: () => void }) {
  return (
    <section aria-label={`Links to port ${port}`} className="flex flex-col gap-2 border-t pt-4">
      <h3 className="text-sm font-semibold">Links in force</h3>
      {links.length === 0 ? (
        <p className="text-sm text-muted-foreground">None.</p>
      ) : (
        <ul className="flex flex-col gap-2">
          {links.map((link) => (
            <li key={link.id} data-link={link.id} className="flex items-center justify-between gap-3 text-sm">
              <span>
                Created <time dateTime={link.createdAt}>{formatRelative(link.createdAt)}</time>, expires{" "}
                <time dateTime={link.expiresAt}>{formatDateTime(link.expiresAt)}</time>
              </span>
              <ActionButton
                action={revokePortLinkAction}
                fields={{ linkId: link.id }}
                variant="destructive"
                aria-label={`Revoke the link created ${formatRelative(link.createdAt)}`}
                onOk={onRevoked}
                confirm={{
                  title: "Revoke this link?",
                  description: `Whoever opens port ${port} with it is refused from their next request on. A revoked link can't be restored.`,
                  confirmLabel: "Revoke link",
                }}
              >
                Revoke
              </ActionButton>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** "Share link" on a port's row: creates signed links and lists them; disabled, with the reason, when the caps don't allow it. */
function PortLinkDialog({ workspaceId, port, links, refusal, onChange }: PortLinkDialogProps) {
  const trigger = (
    <Button type="button" variant="outline" size="sm" disabled={refusal !== null} aria-label={`Share link to port ${port}`} aria-describedby={refusal?.id}>
      <Link2 aria-hidden="true" />
      Share link
    </Button>
  );
  // The dialog stays mounted when the caps narrow while it is open: creating
  // then shows the domain's refusal instead of the dialog vanishing.
  return (
    <Dialog>
      {refusal ? (
        // A disabled button gets no pointer events: its wrapper carries the tooltip.
        <span title={refusal.text}>{trigger}</span>
      ) : (
        <DialogTrigger asChild>{trigger}</DialogTrigger>
      )}
      <DialogContent className="sm:max-w-xl">
        <DialogHeader>
          <DialogTitle>Share port {port} with a link</DialogTitle>
          <DialogDescription>
            Anyone who has the link opens this port, without signing in to Podspace, until it expires or you revoke it.
          </DialogDescription>
        </DialogHeader>
        <CreateLinkForm workspaceId={workspaceId} port={port} onCreated={onChange} />
        <LinkList port={port} links={links} onRevoked={onChange} />
      </DialogContent>
    </Dialog>
  );
}

export { PortLinkDialog };
