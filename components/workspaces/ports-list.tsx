"use client";

import * as React from "react";
import { Copy, ExternalLink } from "lucide-react";

import { sharePortAction } from "@/app/(app)/workspaces/actions";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { toast } from "@/components/ui/toast";
import { SHARE_LEVELS, within, type ShareLevel } from "@/lib/ports/share-level";
import type { PortRow } from "@/lib/ports/workspace-ports";
import { useWorkspaceLive } from "./workspace-live";

// The workspace page's ports: what listens in the workspace, found within a
// couple of seconds of a server starting, and the ports its template
// declares. Asked for every POLL_MS while the page is visible and the
// workspace runs (listening sockets change without any workspace event).

const POLL_MS = 2_000;

function usePorts(workspaceId: string, running: boolean): PortRow[] | null {
  const [ports, setPorts] = React.useState<PortRow[] | null>(null);
  React.useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const load = async () => {
      if (document.visibilityState === "visible") {
        const response = await fetch(`/api/workspaces/${workspaceId}/ports`, { cache: "no-store" }).catch(() => null);
        if (response?.ok && !finished) setPorts(((await response.json()) as { ports: PortRow[] }).ports);
      }
      if (running && !finished) timer = setTimeout(load, POLL_MS);
    };
    void load();
    return () => {
      finished = true;
      clearTimeout(timer);
    };
  }, [workspaceId, running]);
  return ports;
}

const SHARE_LABELS: Record<ShareLevel, string> = { owner: "Only me", team: "My team", authenticated: "Anyone signed in", public: "Public" };

/** Who the port is open to; changing it saves at once (and is audited). */
function ShareSelect({ workspaceId, row }: { workspaceId: string; row: PortRow }) {
  const [, submit, pending] = useFormAction(sharePortAction, { toastErrors: true });
  return (
    <form action={submit}>
      <input type="hidden" name="workspaceId" value={workspaceId} />
      <input type="hidden" name="port" value={row.port} />
      <select
        name="share"
        aria-label={`Who may open port ${row.port}`}
        defaultValue={row.share}
        key={row.share}
        disabled={pending}
        onChange={(event) => event.currentTarget.form?.requestSubmit()}
        className="h-8 rounded-md border border-input bg-background px-2 text-xs"
      >
        {SHARE_LEVELS.filter((level) => within(level, row.shareCap)).map((level) => (
          <option key={level} value={level}>
            {SHARE_LABELS[level]}
          </option>
        ))}
      </select>
    </form>
  );
}

export function PortsList({ workspaceId }: { workspaceId: string }) {
  const { workspace } = useWorkspaceLive();
  const ports = usePorts(workspaceId, workspace.state === "RUNNING");

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      toast({ title: "Copied", description: url });
    } catch {
      toast({ title: "Couldn't copy the URL", description: url, variant: "destructive" });
    }
  };

  if (!ports) return <p className="text-sm text-muted-foreground">Looking for ports…</p>;
  if (ports.length === 0) {
    return <p className="text-sm text-muted-foreground">Nothing listens yet. Start a server in the terminal (e.g. on port 3000) and it shows up here.</p>;
  }
  return (
    <Table aria-label="Ports">
      <TableHeader>
        <TableRow>
          <TableHead>Port</TableHead>
          <TableHead>Process</TableHead>
          <TableHead>Label</TableHead>
          <TableHead>URL</TableHead>
          <TableHead>Shared with</TableHead>
          <TableHead className="sr-only">Actions</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {ports.map((row) => (
          <TableRow key={row.port} data-port={row.port}>
            <TableCell className="font-mono">{row.port}</TableCell>
            <TableCell className="font-mono text-xs">{row.listening ? (row.process ?? "—") : <span className="text-muted-foreground">not listening</span>}</TableCell>
            <TableCell>{row.label ?? "—"}</TableCell>
            <TableCell className="max-w-72 truncate font-mono text-xs" title={row.url}>
              {row.url}
            </TableCell>
            <TableCell>
              <ShareSelect workspaceId={workspaceId} row={row} />
            </TableCell>
            <TableCell>
              <div className="flex justify-end gap-1">
                <Button asChild size="sm" variant="outline">
                  <a href={row.openPath} target="_blank" rel="noopener noreferrer" aria-label={`Open port ${row.port}`}>
                    <ExternalLink />
                    Open
                  </a>
                </Button>
                <Button size="sm" variant="ghost" aria-label={`Copy the URL of port ${row.port}`} onClick={() => void copy(row.url)}>
                  <Copy />
                </Button>
              </div>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
