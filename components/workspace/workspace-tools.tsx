"use client";

import * as React from "react";
import { ChevronDown, ChevronUp } from "lucide-react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";
import { IdeFrame, type IdeStatus } from "./ide-frame";
import { TerminalTabs } from "./terminal-tabs";

// The workspace page's tools: the IDE on top, a collapsible terminal panel
// below, and a divider between them that drags (pointer) or steps (arrow
// keys). The split is remembered per browser. The terminal connects as soon
// as the workspace runs; the IDE may still be getting ready then.

export interface WorkspaceToolsProps {
  workspaceId: string;
  /** Why the terminal can't connect; null once the workspace runs. */
  terminalUnavailable: string | null;
  ide: IdeStatus;
  /** Passed on to IdeFrame; unset opens the workspace's home. */
  ideFolder?: string;
  /** Sizes the whole area; by default it fills most of the viewport's height. */
  className?: string;
}

interface Layout {
  /** The terminal panel's share of the height, in percent. */
  terminalPercent: number;
  collapsed: boolean;
}

const MIN_PERCENT = 15;
const MAX_PERCENT = 85;
const STEP_PERCENT = 5;
const DEFAULT_LAYOUT: Layout = { terminalPercent: 40, collapsed: false };
const LAYOUT_KEY = "podspace:workspace-tools-layout";

const clamp = (percent: number) => Math.min(MAX_PERCENT, Math.max(MIN_PERCENT, Math.round(percent)));

// The layout lives in localStorage; components read it through useSyncExternalStore.
let layoutSnapshot: Layout | null = null;
const layoutListeners = new Set<() => void>();

function readLayout(): Layout {
  if (layoutSnapshot) return layoutSnapshot;
  layoutSnapshot = DEFAULT_LAYOUT;
  try {
    const stored = JSON.parse(window.localStorage.getItem(LAYOUT_KEY) ?? "null") as Partial<Layout> | null;
    if (stored && typeof stored.terminalPercent === "number" && typeof stored.collapsed === "boolean") {
      layoutSnapshot = { terminalPercent: clamp(stored.terminalPercent), collapsed: stored.collapsed };
    }
  } catch {
    // Unreadable: defaults.
  }
  return layoutSnapshot;
}

function writeLayout(layout: Layout) {
  layoutSnapshot = layout;
  try {
    window.localStorage.setItem(LAYOUT_KEY, JSON.stringify(layout));
  } catch {
    // Not remembered, still applied.
  }
  for (const listener of layoutListeners) listener();
}

function subscribeLayout(listener: () => void) {
  layoutListeners.add(listener);
  return () => layoutListeners.delete(listener);
}

export function WorkspaceTools({ workspaceId, terminalUnavailable, ide, ideFolder, className }: WorkspaceToolsProps) {
  const layout = React.useSyncExternalStore(subscribeLayout, readLayout, () => DEFAULT_LAYOUT);
  const containerRef = React.useRef<HTMLDivElement>(null);
  const [dragging, setDragging] = React.useState(false);
  const panelId = React.useId();

  const setPercent = (percent: number) => writeLayout({ terminalPercent: clamp(percent), collapsed: false });
  const toggle = () => writeLayout({ ...layout, collapsed: !layout.collapsed });

  const percentAt = (clientY: number) => {
    const box = containerRef.current?.getBoundingClientRect();
    return box && box.height > 0 ? ((box.bottom - clientY) / box.height) * 100 : layout.terminalPercent;
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowUp: () => setPercent(layout.terminalPercent + STEP_PERCENT),
      ArrowDown: () => setPercent(layout.terminalPercent - STEP_PERCENT),
      PageUp: () => setPercent(layout.terminalPercent + 4 * STEP_PERCENT),
      PageDown: () => setPercent(layout.terminalPercent - 4 * STEP_PERCENT),
      Home: () => setPercent(MAX_PERCENT),
      End: () => setPercent(MIN_PERCENT),
      Enter: toggle,
      " ": toggle,
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  };

  const collapseButton = (
    <Button
      type="button"
      variant="ghost"
      size="icon"
      className="size-7"
      aria-expanded={!layout.collapsed}
      aria-controls={panelId}
      aria-label={layout.collapsed ? "Show terminal panel" : "Hide terminal panel"}
      title={layout.collapsed ? "Show terminal panel" : "Hide terminal panel"}
      onClick={toggle}
    >
      {layout.collapsed ? <ChevronUp aria-hidden="true" /> : <ChevronDown aria-hidden="true" />}
    </Button>
  );

  return (
    <div
      ref={containerRef}
      className={cn("flex h-[calc(100dvh-11rem)] min-h-[26rem] flex-col overflow-hidden rounded-lg border bg-background", className)}
    >
      <IdeFrame workspaceId={workspaceId} status={ide} folder={ideFolder} inert={dragging} className="min-h-32 flex-1" />

      <div
        role="separator"
        aria-orientation="horizontal"
        aria-label="Resize the terminal panel"
        aria-controls={panelId}
        aria-valuemin={MIN_PERCENT}
        aria-valuemax={MAX_PERCENT}
        aria-valuenow={layout.collapsed ? MIN_PERCENT : layout.terminalPercent}
        aria-valuetext={layout.collapsed ? "Terminal panel hidden" : `Terminal panel ${layout.terminalPercent}% of the height`}
        tabIndex={0}
        className={cn(
          "group relative h-1.5 shrink-0 cursor-row-resize touch-none border-y bg-muted outline-none hover:bg-primary/30 focus-visible:bg-primary/50",
          dragging && "bg-primary/50",
        )}
        onKeyDown={onKeyDown}
        onDoubleClick={toggle}
        onPointerDown={(event) => {
          if (event.button !== 0) return;
          event.preventDefault();
          // Capture keeps the drag going over the IDE's iframe.
          event.currentTarget.setPointerCapture(event.pointerId);
          setDragging(true);
        }}
        onPointerMove={(event) => {
          if (dragging) setPercent(percentAt(event.clientY));
        }}
        onPointerUp={(event) => {
          event.currentTarget.releasePointerCapture(event.pointerId);
          setDragging(false);
        }}
        onPointerCancel={() => setDragging(false)}
      />

      <section
        id={panelId}
        aria-label="Terminal panel"
        className="flex shrink-0 flex-col"
        style={{ height: layout.collapsed ? undefined : `${layout.terminalPercent}%` }}
      >
        <TerminalTabs
          workspaceId={workspaceId}
          unavailable={terminalUnavailable}
          visible={!layout.collapsed}
          actions={collapseButton}
          className={layout.collapsed ? undefined : "h-full"}
        />
      </section>
    </div>
  );
}
