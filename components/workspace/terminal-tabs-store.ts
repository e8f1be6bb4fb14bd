// Which terminal tabs a browser tab has open on a workspace, and the session
// each one attaches to. Kept in sessionStorage: it survives a reload of the
// page (so the terminals get their scrollback back) and belongs to one
// browser tab (so two tabs don't type into each other's shells by accident).

export interface TerminalTab {
  /** Stable for the tab's life; its accessible name is "Terminal <number>". */
  id: string;
  number: number;
  /** The server-side session; replaced when the user starts a new shell after an exit. */
  session: string;
}

export interface TerminalTabsState {
  tabs: TerminalTab[];
  activeId: string | null;
}

const key = (workspaceId: string) => `podspace:terminals:${workspaceId}`;
const snapshots = new Map<string, TerminalTabsState>();
const listeners = new Set<() => void>();

export function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function newTab(number: number): TerminalTab {
  return { id: newSessionId(), number, session: newSessionId() };
}

function isState(value: unknown): value is TerminalTabsState {
  if (typeof value !== "object" || value === null) return false;
  const state = value as TerminalTabsState;
  return (
    Array.isArray(state.tabs) &&
    state.tabs.every((tab) => typeof tab?.id === "string" && typeof tab.session === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(tab.session) && Number.isInteger(tab.number)) &&
    (state.activeId === null || typeof state.activeId === "string")
  );
}

/** The stored tabs, or one fresh terminal the first time. The same object until it changes. */
export function readTabs(workspaceId: string): TerminalTabsState {
  const cached = snapshots.get(workspaceId);
  if (cached) return cached;
  let state: TerminalTabsState | null = null;
  try {
    const parsed: unknown = JSON.parse(window.sessionStorage.getItem(key(workspaceId)) ?? "null");
    if (isState(parsed)) state = parsed;
  } catch {
    // Unreadable or blocked storage: start afresh.
  }
  if (!state) {
    const tab = newTab(1);
    state = { tabs: [tab], activeId: tab.id };
    // Stored at once, so a reload finds the same session.
    store(workspaceId, state);
  }
  snapshots.set(workspaceId, state);
  return state;
}

function store(workspaceId: string, state: TerminalTabsState) {
  try {
    window.sessionStorage.setItem(key(workspaceId), JSON.stringify(state));
  } catch {
    // Storage full or blocked: the tabs still work, they just won't survive a reload.
  }
}

function write(workspaceId: string, state: TerminalTabsState) {
  snapshots.set(workspaceId, state);
  store(workspaceId, state);
  for (const listener of listeners) listener();
}

export function subscribeTabs(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function addTab(workspaceId: string): TerminalTab {
  const state = readTabs(workspaceId);
  const tab = newTab(Math.max(0, ...state.tabs.map((t) => t.number)) + 1);
  write(workspaceId, { tabs: [...state.tabs, tab], activeId: tab.id });
  return tab;
}

/** Removes a tab; the neighbour to its left (or right) becomes active. */
export function removeTab(workspaceId: string, id: string): void {
  const state = readTabs(workspaceId);
  const index = state.tabs.findIndex((tab) => tab.id === id);
  if (index === -1) return;
  const tabs = state.tabs.filter((tab) => tab.id !== id);
  const activeId = state.activeId === id ? (tabs[Math.max(0, index - 1)]?.id ?? null) : state.activeId;
  write(workspaceId, { tabs, activeId });
}

export function activateTab(workspaceId: string, id: string): void {
  const state = readTabs(workspaceId);
  if (state.activeId !== id && state.tabs.some((tab) => tab.id === id)) write(workspaceId, { ...state, activeId: id });
}

/** A new shell for a tab whose shell exited. */
export function renewSession(workspaceId: string, id: string): void {
  const state = readTabs(workspaceId);
  write(workspaceId, { ...state, tabs: state.tabs.map((tab) => (tab.id === id ? { ...tab, session: newSessionId() } : tab)) });
}
