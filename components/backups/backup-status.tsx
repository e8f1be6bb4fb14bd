import { Loader2 } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import type { BackupReason, BackupStatus } from "@/lib/generated/prisma/enums";

// How a backup's reason and status read on the workspace and team pages.

export const REASON_LABELS: Record<BackupReason, string> = {
  STOP: "Stopped",
  SCHEDULE: "Scheduled",
  DELETE: "Deleted",
  MANUAL: "Asked for",
};

const LOOKS: Record<BackupStatus, { label: string; variant: "secondary" | "success" | "destructive"; busy?: boolean }> = {
  PENDING: { label: "Waiting…", variant: "secondary", busy: true },
  RUNNING: { label: "Backing up…", variant: "secondary", busy: true },
  SUCCEEDED: { label: "Succeeded", variant: "success" },
  FAILED: { label: "Failed", variant: "destructive" },
};

export const inProgress = (status: BackupStatus) => status === "PENDING" || status === "RUNNING";

export function BackupStatusBadge({ status, expired }: { status: BackupStatus; expired: boolean }) {
  if (expired) return <Badge variant="outline">Expired</Badge>;
  const look = LOOKS[status];
  return (
    <Badge variant={look.variant} data-status={status.toLowerCase()}>
      {look.busy ? <Loader2 aria-hidden="true" className="animate-spin motion-reduce:animate-none" /> : null}
      {look.label}
    </Badge>
  );
}

/** When a backup was taken, the same on server and client: "2026-12-06 09:12 UTC". */
export const backupTime = (date: Date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** A backup as dialogs and labels name it: "the backup of 2026-12-06 09:12 UTC". */
export const backupLabel = (backup: { createdAt: Date; finishedAt: Date | null }) => `the backup of ${backupTime(backup.finishedAt ?? backup.createdAt)}`;

/** The new-workspace page, set to restore the backup into a workspace from `templateSlug`. */
export const restoreHref = (backupId: string, templateSlug: string) =>
  `/workspaces/new?template=${encodeURIComponent(templateSlug)}&restoreFrom=${encodeURIComponent(backupId)}`;
