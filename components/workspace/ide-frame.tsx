"use client";

import * as React from "react";
import { Code, ExternalLink, RotateCw } from "lucide-react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";

// code-server through Podspace's proxy at /w/<id>/ide/: on Podspace's own
// origin, authorized by the page's session cookie, or with PODSPACE_IDE_HOST
// a page there that hands the frame over to the workspace's own origin
// (lib/ide/handoff.ts). The frame points at the same URL either way.

export interface IdeFrameProps {
  workspaceId: string;
  running: boolean;
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

export function IdeFrame({ workspaceId, running, folder, inert, actions, className }: IdeFrameProps) {
  const src = ideUrl(workspaceId, folder);
  const [reloads, setReloads] = React.useState(0);

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
            disabled={!running}
            onClick={() => setReloads((count) => count + 1)}
          >
            <RotateCw aria-hidden="true" />
          </Button>
          {running ? (
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
      {running ? (
        <iframe
          key={reloads}
          src={src}
          title="IDE (code-server) for this workspace"
          className={cn("min-h-0 w-full flex-1 border-0 bg-background", inert && "pointer-events-none")}
          allow="clipboard-read; clipboard-write"
        />
      ) : (
        <div className="flex flex-1 items-center justify-center p-6 text-sm text-muted-foreground" role="status">
          The IDE opens here when the workspace is running.
        </div>
      )}
    </div>
  );
}
