import Link from "next/link";

import { restoreHref } from "@/components/backups/backup-status";
import { BrowseDialog } from "@/components/backups/browse-dialog";
import { Button } from "@/components/ui/button";

/** What a succeeded backup offers, wherever it is listed: browse its files, or restore it into a new workspace of `templateSlug`. */
function BackupActions({ backupId, label, templateSlug }: { backupId: string; label: string; templateSlug: string }) {
  return (
    <div className="flex justify-end gap-2">
      <BrowseDialog backupId={backupId} label={label} />
      <Button asChild variant="outline" size="sm">
        <Link href={restoreHref(backupId, templateSlug)} aria-label={`Restore ${label} into a new workspace`}>
          Restore…
        </Link>
      </Button>
    </div>
  );
}

export { BackupActions };
