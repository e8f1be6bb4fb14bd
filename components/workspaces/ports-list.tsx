"use client";

import * as React from "react";
import { ExternalLink } from "lucide-react";

import { sharePortAction } from "@/app/(app)/workspaces/actions";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { SHARE_LEVELS, within, type ShareLevel } from "@/lib/ports/share-level";
import type { PortRow } from "@/lib/ports/workspace-ports";
import { SHARED_WITH } from "@/lib/schemas/ports";
import { PortLinkDialog } from "./port-link-dialog";
import { useWorkspaceLive } from "./workspace-live";

// The workspace page's ports: what listens in the workspace, found within a
// couple of seconds of a server starting, and the ports its template
// declares. Asked for every POLL_MS while the page is visible and the
// workspace runs (listening sockets change without any workspace event),
// and again at once after the owner creates or revokes a signed link.

const POLL_MS = 2_000;

function usePorts(workspaceId: string, running: boolean): { ports: PortRow[] | null; reload: () => void } {
  const [ports, setPorts] = React.useState<PortRow[] | null>(null);
  // Bumped to load now (and restart the polling from there).
  const [generation, setGeneration] = React.useState(0);
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
  }, [workspaceId, running, generation]);
  const reload = React.useCallback(() => setGeneration((value) => value + 1), []);
  return { ports, reload };
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

/**
 * Why the owner can't make signed links, if they can't: a link reaches
 * people outside Podspace, so it needs the caps to allow public. The caps
 * are the workspace's, the same on every row.
 */
function linkRefusal(ports: PortRow[], id: string): { text: string; id: string } | null {
  const owned = ports.find((row) => row.links !== null);
  if (!owned || within("public", owned.shareCap)) return null;
  return {
    id,
    text: `No signed links: they reach people outside Podspace, and this team's ports may be shared only with ${SHARED_WITH[owned.shareCap]} (set by the team's admins or the platform).`,
  };
}

/** For a Podspace whose preview URLs are turned off: how to reach a port instead. */
function PreviewUrlsOff() {
  return (
    <p className="text-xs text-muted-foreground">
      Preview URLs are turned off on this Podspace. Reach a port from your machine with <code>podspace port-forward</code>, e.g.{" "}
      <code>podspace port-forward &lt;workspace&gt; 3000</code>.
    </p>
  );
}

/** The port's preview URL, who it is shared with, and its actions. */
function PreviewCells({ workspaceId, row, url, openPath, refusal, reload }: { workspaceId: string; row: PortRow; url: string; openPath: string; refusal: ReturnType<typeof linkRefusal>; reload: () => void }) {
  return (
    <>
      <TableCell className="max-w-72 truncate font-mono text-xs" title={url}>
        {url}
      </TableCell>
      <TableCell>
        {/* Only the owner shares (their row carries the links); anyone else with access reads the level. */}
        {row.links ? <ShareSelect workspaceId={workspaceId} row={row} /> : <span className="text-xs">{SHARE_LABELS[row.share]}</span>}
      </TableCell>
      <TableCell>
        <div className="flex justify-end gap-1">
          {row.links ? <PortLinkDialog workspaceId={workspaceId} port={row.port} links={row.links} refusal={refusal} onChange={reload} /> : null}
          <Button asChild size="sm" variant="outline">
            <a href={openPath} target="_blank" rel="noopener noreferrer" aria-label={`Open port ${row.port}`}>
              <ExternalLink />
              Open
            </a>
          </Button>
          <CopyButton text={url} aria-label={`Copy the URL of port ${row.port}`} />
        </div>
      </TableCell>
    </>
  );
}

/** `previewUrls`: whether this Podspace serves preview URLs (PODSPACE_PREVIEW_HOST isn't off). */
export function PortsList({ workspaceId, previewUrls }: { workspaceId: string; previewUrls: boolean }) {
  const { workspace } = useWorkspaceLive();
  const { ports, reload } = usePorts(workspaceId, workspace.state === "RUNNING");
  const refusalId = React.useId();

  if (!ports) return <p className="text-sm text-muted-foreground">Looking for ports…</p>;
  if (ports.length === 0) {
    return (
      <p className="text-sm text-muted-foreground">
        {workspace.state === "RUNNING"
          ? "Nothing listens yet. Start a server in the terminal (e.g. on port 3000) and it shows up here."
          : "Nothing listens while the workspace isn't running. Its servers' ports show up here once it runs."}
      </p>
    );
  }
  const refusal = linkRefusal(ports, refusalId);
  return (
    <div className="flex flex-col gap-2">
      <Table aria-label="Ports">
        <TableHeader>
          <TableRow>
            <TableHead>Port</TableHead>
            <TableHead>Process</TableHead>
            <TableHead>Label</TableHead>
            {previewUrls ? (
              <>
                <TableHead>URL</TableHead>
                <TableHead>Shared with</TableHead>
                <TableHead className="sr-only">Actions</TableHead>
              </>
            ) : null}
          </TableRow>
        </TableHeader>
        <TableBody>
          {ports.map((row) => (
            <TableRow key={row.port} data-port={row.port}>
              <TableCell className="font-mono">{row.port}</TableCell>
              <TableCell className="font-mono text-xs">{row.listening ? (row.process ?? "—") : <span className="text-muted-foreground">not listening</span>}</TableCell>
              <TableCell>{row.label ?? "—"}</TableCell>
              {row.url && row.openPath ? <PreviewCells workspaceId={workspaceId} row={row} url={row.url} openPath={row.openPath} refusal={refusal} reload={reload} /> : null}
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {previewUrls ? null : <PreviewUrlsOff />}
      {refusal ? (
        <p id={refusal.id} className="text-xs text-muted-foreground">
          {refusal.text}
        </p>
      ) : null}
    </div>
  );
}
