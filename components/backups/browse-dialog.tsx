"use client";

import * as React from "react";
import { ChevronRight, Download, File, Folder, Link2, Loader2 } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { formatDateTime } from "@/components/workspaces/workspace-format";
import { formatBytes } from "@/lib/backups/format";
import type { BackupEntry, BackupListing } from "@/lib/backups/queries";

// A backup's files, a folder at a time, read out of its snapshot on the
// server (/api/backups/<id>/files); any file or folder downloads from there
// too, a folder as a tar. Paths are relative to the home directory.

type BrowseDialogProps = {
  backupId: string;
  /** What the dialog's title calls the backup, e.g. "the backup of Dec 6, 09:12 UTC". */
  label: string;
};

const downloadHref = (backupId: string, path: string) => `/api/backups/${backupId}/download?path=${encodeURIComponent(path)}`;

function useListing(backupId: string, path: string, open: boolean) {
  const [state, setState] = React.useState<{ path: string; listing: BackupListing | null; error: string | null }>({ path, listing: null, error: null });
  React.useEffect(() => {
    if (!open) return;
    let current = true;
    void (async () => {
      const response = await fetch(`/api/backups/${backupId}/files?path=${encodeURIComponent(path)}`, { cache: "no-store" }).catch(() => null);
      if (!current) return;
      if (!response) return setState({ path, listing: null, error: "Podspace could not be reached; try again." });
      const body = (await response.json().catch(() => null)) as (BackupListing & { error?: { message: string } }) | null;
      if (!current) return;
      if (response.ok && body) setState({ path, listing: body, error: null });
      else setState({ path, listing: null, error: body?.error?.message ?? `Listing the folder failed (${response.status}).` });
    })();
    return () => {
      current = false;
    };
  }, [backupId, path, open]);
  return state.path === path ? state : { path, listing: null, error: null };
}

/** Home / src / app: each part opens that folder. */
function Breadcrumbs({ path, onOpen }: { path: string; onOpen: (path: string) => void }) {
  const parts = path === "" ? [] : path.split("/");
  return (
    <nav aria-label="Folder" className="flex flex-wrap items-center gap-1 font-mono text-xs">
      {[{ name: "~", path: "" }, ...parts.map((name, index) => ({ name, path: parts.slice(0, index + 1).join("/") }))].map((crumb, index, all) => (
        <React.Fragment key={crumb.path}>
          {index > 0 ? <ChevronRight aria-hidden="true" className="size-3 text-muted-foreground" /> : null}
          {index === all.length - 1 ? (
            <span aria-current="location" className="font-semibold">
              {crumb.name}
            </span>
          ) : (
            <button type="button" className="underline-offset-4 hover:underline" onClick={() => onOpen(crumb.path)}>
              {crumb.name}
            </button>
          )}
        </React.Fragment>
      ))}
    </nav>
  );
}

const ICONS = { dir: Folder, file: File, symlink: Link2, other: File } as const;

function EntryRow({ backupId, entry, onOpen }: { backupId: string; entry: BackupEntry; onOpen: (path: string) => void }) {
  const Icon = ICONS[entry.type];
  const folder = entry.type === "dir";
  return (
    <li className="flex items-center gap-3 border-b px-3 py-1.5 text-sm last:border-0">
      <Icon aria-hidden="true" className="size-4 shrink-0 text-muted-foreground" />
      {folder ? (
        <button type="button" className="min-w-0 flex-1 truncate text-left font-medium underline-offset-4 hover:underline" onClick={() => onOpen(entry.path)}>
          {entry.name}/
        </button>
      ) : (
        <span className="min-w-0 flex-1 truncate">{entry.name}</span>
      )}
      <span className="w-20 shrink-0 text-right text-xs text-muted-foreground tabular-nums">{entry.size === null ? "" : formatBytes(entry.size)}</span>
      <time dateTime={entry.mtime} suppressHydrationWarning className="hidden w-36 shrink-0 text-xs text-muted-foreground sm:block">
        {formatDateTime(entry.mtime)}
      </time>
      {folder || entry.type === "file" ? (
        <Button asChild variant="ghost" size="icon" className="size-7">
          <a href={downloadHref(backupId, entry.path)} download aria-label={`Download ${entry.name}${folder ? " as a tar" : ""}`}>
            <Download aria-hidden="true" />
          </a>
        </Button>
      ) : (
        <span className="size-7 shrink-0" />
      )}
    </li>
  );
}

function BrowseDialog({ backupId, label }: BrowseDialogProps) {
  const [open, setOpen] = React.useState(false);
  const [path, setPath] = React.useState("");
  const { listing, error } = useListing(backupId, path, open);

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" aria-label={`Browse ${label}`}>
          Browse
        </Button>
      </DialogTrigger>
      <DialogContent className="max-w-2xl">
        <DialogHeader>
          <DialogTitle>Files of {label}</DialogTitle>
          <DialogDescription>The home directory as it was then. Download a file, or a folder as a tar archive.</DialogDescription>
        </DialogHeader>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <Breadcrumbs path={path} onOpen={setPath} />
          <Button asChild variant="outline" size="sm">
            <a href={downloadHref(backupId, path)} download>
              <Download aria-hidden="true" />
              Download {path === "" ? "the home folder" : "this folder"}
            </a>
          </Button>
        </div>
        <div aria-live="polite" aria-busy={!listing && !error} className="max-h-[55vh] overflow-y-auto rounded-md border">
          {error ? (
            <p role="alert" className="p-3 text-sm text-destructive">
              {error}
            </p>
          ) : !listing ? (
            <p className="flex items-center gap-2 p-3 text-sm text-muted-foreground">
              <Loader2 aria-hidden="true" className="size-4 animate-spin motion-reduce:animate-none" />
              Reading the backup…
            </p>
          ) : listing.entries.length === 0 ? (
            <p className="p-3 text-sm text-muted-foreground">This folder is empty.</p>
          ) : (
            <ul aria-label={`Contents of ~/${path}`}>
              {listing.entries.map((entry) => (
                <EntryRow key={entry.path} backupId={backupId} entry={entry} onOpen={setPath} />
              ))}
            </ul>
          )}
        </div>
      </DialogContent>
    </Dialog>
  );
}

export { BrowseDialog };
