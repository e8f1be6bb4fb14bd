"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { Archive } from "lucide-react";

import { requestBackupAction } from "@/app/(app)/workspaces/actions";
import { BackupActions } from "@/components/backups/backup-actions";
import { BackupStatusBadge, backupLabel, inProgress, REASON_LABELS } from "@/components/backups/backup-status";
import { ActionButton } from "@/components/forms/action-button";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatBytes } from "@/lib/backups/format";
import type { BackupView } from "@/lib/backups/queries";
import { AutoRefresh } from "./auto-refresh";
import { useWorkspaceLive } from "./workspace-live";
import { formatDateTime, formatRelative } from "./workspace-format";

type WorkspaceBackupsProps = {
  workspaceId: string;
  /** The new workspace a backup restores into defaults to this one's template. */
  templateSlug: string;
  backups: BackupView[];
  /** Whether the actor may back it up now (workspace:operate) and backups are on. */
  canBackUp: boolean;
};

const bytes = (value: number | null) => (value === null ? "—" : formatBytes(value));

/**
 * Re-renders the list when the page's live events say a backup was queued
 * or ended behind its back: a stop queues one, the loop ends it. (Pending
 * and running ones are followed by AutoRefresh from then on.)
 */
function RefreshOnBackupEvents({ deleting }: { deleting: boolean }) {
  const router = useRouter();
  const { events } = useWorkspaceLive();
  const latest = events.findLast((event) => event.step === "backup" || event.data?.to === "STOPPED")?.id;
  const seen = React.useRef(latest);
  React.useEffect(() => {
    if (latest === seen.current) return;
    seen.current = latest;
    if (!deleting) router.refresh();
  }, [latest, deleting, router]);
  return null;
}

/**
 * The workspace page's Backups: each snapshot of its home, why and when it
 * was taken, and what it holds; "Back up now", and while one is under way
 * the page re-renders every few seconds until it has ended.
 */
function WorkspaceBackups({ workspaceId, templateSlug, backups, canBackUp }: WorkspaceBackupsProps) {
  const busy = backups.some((backup) => inProgress(backup.status));
  // Nothing re-renders a workspace being deleted from the server: once it is gone its page is a 404, and the
  // page open in this tab says it was deleted (LiveGone) instead.
  const deleting = useWorkspaceLive().workspace.desiredState === "DELETED";
  const backUpNow = canBackUp ? (
    <ActionButton action={requestBackupAction} fields={{ workspaceId }} variant="outline">
      {busy ? "Backing up…" : "Back up now"}
    </ActionButton>
  ) : null;

  return (
    <section aria-labelledby="backups-heading" className="flex flex-col gap-3">
      <AutoRefresh active={busy && !deleting} />
      <RefreshOnBackupEvents deleting={deleting} />
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="backups-heading" className="text-base font-semibold">
          Backups
        </h2>
        {backups.length > 0 ? backUpNow : null}
      </div>
      {backups.length === 0 ? (
        <EmptyState
          icon={Archive}
          title="No backups yet"
          description="Its home is backed up when it stops, before it is deleted, and on the team's schedule."
          action={backUpNow}
        />
      ) : (
        <Table aria-label="Backups">
          <TableHeader>
            <TableRow>
              <TableHead>When</TableHead>
              <TableHead>Why</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="text-right">Files</TableHead>
              <TableHead className="text-right">Size</TableHead>
              <TableHead className="text-right">New</TableHead>
              <TableHead className="text-right">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {backups.map((backup) => {
              const when = backup.finishedAt ?? backup.createdAt;
              const restorable = backup.status === "SUCCEEDED" && !backup.expiredAt;
              return (
                <TableRow key={backup.id} data-backup={backup.id}>
                  <TableCell>
                    <time dateTime={when.toISOString()} title={formatDateTime(when)} suppressHydrationWarning>
                      {formatRelative(when)}
                    </time>
                  </TableCell>
                  <TableCell>
                    {REASON_LABELS[backup.reason]}
                    {backup.requestedBy ? <span className="text-muted-foreground"> by {backup.requestedBy}</span> : null}
                  </TableCell>
                  <TableCell className="max-w-80 whitespace-normal">
                    <div className="flex flex-col items-start gap-1">
                      <BackupStatusBadge status={backup.status} expired={backup.expiredAt !== null} />
                      {backup.error ? (
                        <span className={backup.status === "FAILED" ? "text-xs break-words text-destructive" : "text-xs break-words text-muted-foreground"}>
                          {backup.error}
                        </span>
                      ) : null}
                    </div>
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{backup.files?.toLocaleString("en") ?? "—"}</TableCell>
                  <TableCell className="text-right tabular-nums">{bytes(backup.bytes)}</TableCell>
                  <TableCell className="text-right tabular-nums">{bytes(backup.bytesAdded)}</TableCell>
                  <TableCell>
                    {restorable ? (
                      <BackupActions backupId={backup.id} label={backupLabel(backup)} templateSlug={templateSlug} />
                    ) : null}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </section>
  );
}

export { WorkspaceBackups };
