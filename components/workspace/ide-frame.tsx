"use client";

import * as React from "react";
import { Code, ExternalLink, Loader2, RotateCw } from "lucide-react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";

// code-server through Podspace's proxy at /w/<id>/ide/: a page there that
// hands the frame over to the workspace's own origin (lib/ide/handoff.ts),
// or with PODSPACE_IDE_HOST=same-origin the IDE itself, authorized by the
// page's session cookie. The frame points at the same URL either way.

/**
 * Where the workspace's IDE is. It starts after the workspace's shell, so a
 * running workspace may still be installing or starting it.
 */
export type IdeStatus =
  | { kind: "offline" }
  /** `message` is the latest phase ("Installing code-server …"), under way since `since` (ISO time). */
  | { kind: "starting"; message: string; since: string }
  | { kind: "ready" };

export interface IdeFrameProps {
  workspaceId: string;
  status: IdeStatus;
  /**
   * The folder to open. Unset: the proxy opens the workspace's home
   * (/home/coder in a pod, the workspace's directory on the local runtime).
   */
  folder?: string;
  /** Set while a divider is dragged over the frame, so the iframe doesn't swallow the pointer. */
  inert?: boolean;
  /** Controls for the bar's right end. */
  actions?: React.ReactNode;
  className?: string;
}

export function ideUrl(workspaceId: string, folder?: string): string {
  const base = `/w/${encodeURIComponent(workspaceId)}/ide/`;
  return folder ? `${base}?folder=${encodeURIComponent(folder)}` : base;
}

export function IdeFrame({ workspaceId, status, folder, inert, actions, className }: IdeFrameProps) {
  const src = ideUrl(workspaceId, folder);
  const [reloads, setReloads] = React.useState(0);
  const ready = status.kind === "ready";

  return (
    <div className={cn("flex min-h-0 flex-col", className)}>
      <div className="flex h-9 shrink-0 items-center gap-2 border-b bg-muted/40 px-3 text-sm">
        <Code aria-hidden="true" className="size-4 text-muted-foreground" />
        <span className="font-medium">IDE</span>
        <span className="text-xs text-muted-foreground">code-server</span>
        <div className="ml-auto flex items-center gap-1">
          <Button
            type="button"
            variant="ghost"
            size="icon"
            className="size-7"
            aria-label="Reload the IDE"
            title="Reload the IDE"
            disabled={!ready}
            onClick={() => setReloads((count) => count + 1)}
          >
            <RotateCw aria-hidden="true" />
          </Button>
          {ready ? (
            <Button asChild variant="ghost" size="sm" className="h-7">
              <a href={src} target="_blank" rel="noopener">
                <ExternalLink aria-hidden="true" /> Open in new tab
              </a>
            </Button>
          ) : (
            <Button variant="ghost" size="sm" className="h-7" disabled>
              <ExternalLink aria-hidden="true" /> Open in new tab
            </Button>
          )}
          {actions}
        </div>
      </div>
      {ready ? (
        <iframe
          key={reloads}
          src={src}
          title="IDE (code-server) for this workspace"
          className={cn("min-h-0 w-full flex-1 border-0 bg-background", inert && "pointer-events-none")}
          allow="clipboard-read; clipboard-write"
        />
      ) : status.kind === "starting" ? (
        <IdeProgress message={status.message} since={status.since} />
      ) : (
        <div className="flex flex-1 items-center justify-center p-6 text-sm text-muted-foreground" role="status">
          The IDE opens here when the workspace is running.
        </div>
      )}
    </div>
  );
}

/** The IDE's latest phase while it gets ready, with the seconds it has taken so far. */
function IdeProgress({ message, since }: { message: string; since: string }) {
  const seconds = useSecondsSince(since);
  return (
    <section aria-label="IDE progress" className="flex flex-1 flex-col items-center justify-center gap-2 p-6 text-center text-sm">
      <p className="flex items-center gap-2 font-medium">
        <Loader2 aria-hidden="true" className="size-4 animate-spin text-sky-600 motion-reduce:animate-none dark:text-sky-400" />
        {/* Only the phase is announced; the counter ticking every second is not. */}
        <span role="status">{message}</span>
        <span className="text-muted-foreground tabular-nums" suppressHydrationWarning data-testid="ide-elapsed">
          {seconds} s
        </span>
      </p>
      <p className="text-muted-foreground">The terminal works meanwhile; the IDE opens here when it is ready.</p>
    </section>
  );
}

/** Whole seconds from `since` to now, ticking every second. */
function useSecondsSince(since: string): number {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  // The server's clock and the browser's may disagree a little: never count below zero.
  return Math.max(0, Math.floor((now - new Date(since).getTime()) / 1000));
}
