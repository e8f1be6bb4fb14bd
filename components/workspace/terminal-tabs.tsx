"use client";

import * as React from "react";
import { Plus, SquareTerminal, X } from "lucide-react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";
import { Terminal, type TerminalHandle } from "./terminal";
import { activateTab, addTab, readTabs, removeTab, renewSession, subscribeTabs, type TerminalTabsState } from "./terminal-tabs-store";

// Several terminals on one workspace, as tabs. Every tab stays connected
// while another is shown; closing a tab ends its shell.

export interface TerminalTabsProps {
  workspaceId: string;
  /** Why no terminal can connect (the workspace isn't running); null when they can. */
  unavailable: string | null;
  /** Extra controls for the tab bar's right end (e.g. the panel's collapse button). */
  actions?: React.ReactNode;
  /** False while the panel is collapsed: only the tab bar shows (the terminals stay connected). */
  visible?: boolean;
  className?: string;
}

const NONE: TerminalTabsState = { tabs: [], activeId: null };

export function TerminalTabs({ workspaceId, unavailable, actions, visible = true, className }: TerminalTabsProps) {
  const state = React.useSyncExternalStore(
    subscribeTabs,
    () => readTabs(workspaceId),
    // Server render and hydration: no tabs yet (sessionStorage is the browser's).
    () => NONE,
  );
  const tabRefs = React.useRef(new Map<string, HTMLButtonElement>());
  /** Closing a tab ends its shell on the server, through the tab's own connection. */
  const terminals = React.useRef(new Map<string, TerminalHandle>());
  const baseId = React.useId();

  const focusTab = (id: string | null | undefined) => {
    if (id) requestAnimationFrame(() => tabRefs.current.get(id)?.focus());
  };

  const onTabKeyDown = (event: React.KeyboardEvent, index: number) => {
    const tabs = state.tabs;
    let next: number | null = null;
    if (event.key === "ArrowRight") next = (index + 1) % tabs.length;
    else if (event.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = tabs.length - 1;
    else if (event.key === "Delete") {
      event.preventDefault();
      closeTab(tabs[index]!.id);
      return;
    }
    if (next === null) return;
    event.preventDefault();
    const id = tabs[next]!.id;
    activateTab(workspaceId, id);
    focusTab(id);
  };

  const closeTab = (id: string) => {
    terminals.current.get(id)?.end();
    removeTab(workspaceId, id);
    focusTab(readTabs(workspaceId).activeId);
  };


  return (
    <div className={cn("flex min-h-0 flex-col", className)}>
      <div className="flex h-9 shrink-0 items-center gap-1 border-b bg-muted/40 px-2">
        <div role="tablist" aria-label="Terminals" className="flex min-w-0 items-center gap-1 overflow-x-auto">
          {state.tabs.map((tab, index) => {
            const selected = tab.id === state.activeId;
            return (
              <div
                key={tab.id}
                className={cn(
                  "group flex h-7 shrink-0 items-center rounded-md border text-xs",
                  selected ? "border-border bg-background text-foreground shadow-xs" : "border-transparent text-muted-foreground hover:bg-accent",
                )}
              >
                <button
                  ref={(element) => {
                    if (element) tabRefs.current.set(tab.id, element);
                    else tabRefs.current.delete(tab.id);
                  }}
                  type="button"
                  role="tab"
                  id={`${baseId}-tab-${tab.id}`}
                  aria-selected={selected}
                  aria-controls={`${baseId}-panel-${tab.id}`}
                  tabIndex={selected ? 0 : -1}
                  className="flex h-full items-center gap-1.5 rounded-l-md pr-1 pl-2 outline-none focus-visible:ring-2 focus-visible:ring-ring"
                  onClick={() => activateTab(workspaceId, tab.id)}
                  onKeyDown={(event) => onTabKeyDown(event, index)}
                >
                  <SquareTerminal aria-hidden="true" className="size-3.5" />
                  Terminal {tab.number}
                </button>
                <button
                  type="button"
                  aria-label={`Close terminal ${tab.number}`}
                  title="Close terminal (ends its shell)"
                  tabIndex={selected ? 0 : -1}
                  className="mr-0.5 flex size-5 items-center justify-center rounded outline-none hover:bg-muted focus-visible:ring-2 focus-visible:ring-ring"
                  onClick={() => closeTab(tab.id)}
                >
                  <X aria-hidden="true" className="size-3" />
                </button>
              </div>
            );
          })}
        </div>
        <Button
          type="button"
          variant="ghost"
          size="icon"
          className="size-7"
          aria-label="New terminal"
          title="New terminal"
          disabled={unavailable !== null}
          onClick={() => focusTab(addTab(workspaceId).id)}
        >
          <Plus aria-hidden="true" />
        </Button>
        <div className="ml-auto flex items-center gap-1">{actions}</div>
      </div>
      {/* Hidden, not unmounted, while the panel is collapsed: the terminals stay connected. */}
      <div className={cn("relative min-h-0 flex-1 bg-[#0f1117]", !visible && "hidden")}>
        {unavailable !== null ? (
          <p className="p-4 text-sm text-neutral-300" role="status">
            {unavailable}
          </p>
        ) : state.tabs.length === 0 ? (
          <div className="flex h-full items-center justify-center">
            <Button type="button" variant="secondary" size="sm" onClick={() => focusTab(addTab(workspaceId).id)}>
              <Plus aria-hidden="true" /> New terminal
            </Button>
          </div>
        ) : (
          state.tabs.map((tab) => (
            <div
              key={tab.id}
              id={`${baseId}-panel-${tab.id}`}
              role="tabpanel"
              aria-labelledby={`${baseId}-tab-${tab.id}`}
              className={cn("absolute inset-0 flex flex-col", tab.id !== state.activeId && "hidden")}
            >
              <Terminal
                ref={(handle) => {
                  if (handle) terminals.current.set(tab.id, handle);
                  else terminals.current.delete(tab.id);
                }}
                workspaceId={workspaceId}
                sessionId={tab.session}
                active={visible && tab.id === state.activeId}
                label={`Terminal ${tab.number}`}
                onLeave={() => focusTab(tab.id)}
                onRestart={() => renewSession(workspaceId, tab.id)}
                className="flex-1"
              />
            </div>
          ))
        )}
      </div>
    </div>
  );
}
