import { BackupActions } from "@/components/backups/backup-actions";
import { backupTime, REASON_LABELS } from "@/components/backups/backup-status";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatBytes } from "@/lib/backups/format";
import type { DeletedWorkspaceBackup } from "@/lib/backups/queries";

/** The team page's backups of deleted workspaces: what is left of them until the retention pass, to browse or restore. */
export function DeletedWorkspaceBackups({ rows }: { rows: DeletedWorkspaceBackup[] }) {
  return (
    <Table aria-label="Backups of deleted workspaces">
      <TableHeader>
        <TableRow>
          <TableHead>Workspace</TableHead>
          <TableHead>Deleted</TableHead>
          <TableHead>Backup</TableHead>
          <TableHead>Kept until</TableHead>
          <TableHead className="text-right">Size</TableHead>
          <TableHead className="text-right">
            <span className="sr-only">Actions</span>
          </TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map(({ backup, workspace, keptUntil }) => {
          const label = `${workspace.name}'s backup of ${backupTime(backup.finishedAt ?? backup.createdAt)}`;
          return (
            <TableRow key={backup.id} data-backup={backup.id}>
              <TableCell>
                <div className="flex flex-col">
                  <span className="font-mono font-medium">{workspace.name}</span>
                  <span className="text-xs text-muted-foreground">{workspace.owner}</span>
                </div>
              </TableCell>
              <TableCell>
                <time dateTime={workspace.deletedAt.toISOString()}>{backupTime(workspace.deletedAt)}</time>
              </TableCell>
              <TableCell>
                {backupTime(backup.finishedAt ?? backup.createdAt)} <span className="text-muted-foreground">({REASON_LABELS[backup.reason].toLowerCase()})</span>
              </TableCell>
              <TableCell>
                <time dateTime={keptUntil.toISOString()}>{keptUntil.toISOString().slice(0, 10)}</time>
              </TableCell>
              <TableCell className="text-right tabular-nums">
                {backup.bytes === null ? "—" : formatBytes(backup.bytes)}
                {backup.files === null ? null : <span className="block text-xs text-muted-foreground">{backup.files.toLocaleString("en")} files</span>}
              </TableCell>
              <TableCell>
                <BackupActions backupId={backup.id} label={label} templateSlug={workspace.templateSlug} />
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
