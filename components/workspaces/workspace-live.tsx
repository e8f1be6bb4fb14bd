"use client";

import * as React from "react";
import Link from "next/link";
import { AlertCircle, AlertTriangle, Check, Circle, Info, Loader2, RotateCcw, X } from "lucide-react";

import { operateWorkspaceAction } from "@/app/(app)/workspaces/actions";
import { ActionButton } from "@/components/forms/action-button";
import type { WorkspaceEventView, WorkspaceStateView } from "@/lib/workspaces/get-workspace";
import { cn } from "@/lib/utils";
import { eventRows, type EventRow } from "./event-log";
import { latestError, progressSteps, splitFailureMessage, type StepStatus } from "./progress";
import { StateBadge } from "./state-badge";
import { DeleteWorkspaceDialog, WorkspaceActions } from "./workspace-actions";
import { failureReason, formatDuration, formatTime, formatUptime, isTransitional } from "./workspace-format";

// The workspace page's live parts: one EventSource per page feeds the state
// badge, the actions, the start's steps and the activity log through context.

type Live = {
  workspace: WorkspaceStateView;
  events: WorkspaceEventView[];
  /** The stream: not open yet, open, dropped and being opened again, or ended by the server because the user lost access. */
  stream: StreamState;
  /** The workspace was deleted while the page was open. */
  gone: boolean;
};

type StreamState = "connecting" | "live" | "reconnecting" | "revoked";

const STREAM_LABELS: Record<StreamState, string> = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", revoked: "No access" };

const LiveContext = React.createContext<Live | null>(null);

function useLive(): Live {
  const live = React.useContext(LiveContext);
  if (!live) throw new Error("useLive must be used inside WorkspaceLiveProvider");
  return live;
}

/** How many events the page keeps; older ones drop off the log. */
const MAX_EVENTS = 500;
const RECONNECT_MS = 5000;

const byTime = (a: WorkspaceEventView, b: WorkspaceEventView) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

function mergeEvents(current: WorkspaceEventView[], added: WorkspaceEventView[]): WorkspaceEventView[] {
  const known = new Set(current.map((event) => event.id));
  const fresh = added.filter((event) => !known.has(event.id));
  if (fresh.length === 0) return current;
  return [...current, ...fresh].sort(byTime).slice(-MAX_EVENTS);
}

const newer = (a: WorkspaceStateView, b: WorkspaceStateView) => a.updatedAt > b.updatedAt;

type ProviderProps = {
  workspaceId: string;
  initialState: WorkspaceStateView;
  initialEvents: WorkspaceEventView[];
  children: React.ReactNode;
};

function WorkspaceLiveProvider({ workspaceId, initialState, initialEvents, children }: ProviderProps) {
  const [workspace, setWorkspace] = React.useState(initialState);
  const [events, setEvents] = React.useState(initialEvents);
  const [stream, setStream] = React.useState<StreamState>("connecting");
  const [gone, setGone] = React.useState(false);

  // The server re-renders the page after an action: take what is newer.
  const [previous, setPrevious] = React.useState({ initialState, initialEvents });
  if (previous.initialState !== initialState || previous.initialEvents !== initialEvents) {
    setPrevious({ initialState, initialEvents });
    if (newer(initialState, workspace)) setWorkspace(initialState);
    setEvents((current) => mergeEvents(current, initialEvents));
  }

  const since = React.useRef(initialEvents.at(-1)?.createdAt);

  React.useEffect(() => {
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let finished = false;

    const open = () => {
      const url = `/api/workspaces/${encodeURIComponent(workspaceId)}/events${since.current ? `?since=${encodeURIComponent(since.current)}` : ""}`;
      source = new EventSource(url);
      source.onopen = () => setStream("live");
      source.addEventListener("state", (message) => {
        const next = JSON.parse((message as MessageEvent<string>).data) as WorkspaceStateView;
        setWorkspace((current) => (next.updatedAt >= current.updatedAt ? next : current));
      });
      source.addEventListener("workspace-event", (message) => {
        const event = JSON.parse((message as MessageEvent<string>).data) as WorkspaceEventView;
        if (!since.current || event.createdAt > since.current) since.current = event.createdAt;
        setEvents((current) => mergeEvents(current, [event]));
      });
      source.addEventListener("gone", () => {
        finished = true;
        source?.close();
        setGone(true);
      });
      // Signed out, removed from the team, a role taken away: reconnecting would only be refused.
      source.addEventListener("revoked", () => {
        finished = true;
        source?.close();
        setStream("revoked");
      });
      source.onerror = () => {
        setStream("reconnecting");
        // The browser retries dropped connections itself; a refused one (401, 404) ends here. A 404 is a workspace
        // deleted while the stream was down (or ending: its access check can end it before it says "gone").
        if (finished || source?.readyState !== EventSource.CLOSED) return;
        void fetch(url, { cache: "no-store" })
          .then((response) => {
            void response.body?.cancel();
            return response.status === 404;
          })
          .catch(() => false)
          .then((deleted) => {
            if (finished) return;
            if (!deleted) return void (retry = setTimeout(open, RECONNECT_MS));
            finished = true;
            setGone(true);
          });
      };
    };
    open();
    return () => {
      finished = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [workspaceId]);

  const value = React.useMemo(() => ({ workspace, events, stream, gone }), [workspace, events, stream, gone]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

function LiveStateBadge() {
  const { workspace, gone } = useLive();
  return (
    <span aria-live="polite" className="inline-flex items-center gap-2" data-testid="workspace-state">
      <StateBadge state={gone ? "DELETED" : workspace.state} desiredState={workspace.desiredState} className="text-sm" />
    </span>
  );
}

/** Whether the page is receiving updates; shown as a small dot next to the state. */
function LiveIndicator() {
  const { stream, gone } = useLive();
  if (gone) return null;
  return (
    <span
      className="inline-flex items-center gap-1.5 text-xs text-muted-foreground"
      title={stream === "live" ? "Updates live" : STREAM_LABELS[stream]}
      data-testid="workspace-updates"
    >
      <span aria-hidden="true" className={cn("size-2 rounded-full", stream === "live" ? "bg-success" : "bg-muted-foreground/50")} />
      {STREAM_LABELS[stream]}
    </span>
  );
}

type LiveActionsProps = {
  workspace: { id: string; name: string };
  canOperate: boolean;
  update: { templateName: string; version: number } | null;
};

function LiveActions({ workspace: { id, name }, canOperate, update }: LiveActionsProps) {
  const { workspace, gone } = useLive();
  if (!canOperate || gone) return null;
  return (
    <WorkspaceActions
      workspace={{ id, name, state: workspace.state, desiredState: workspace.desiredState }}
      size="default"
      redirectAfterDelete
      update={update}
    />
  );
}

/** "Up 12 min" while running. */
function LiveUptime() {
  const { workspace } = useLive();
  const [now, setNow] = React.useState(() => Date.now());
  const running = workspace.state === "RUNNING" && workspace.startedAt !== null;

  React.useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(timer);
  }, [running]);

  if (!running) return <span className="text-muted-foreground">Not running</span>;
  return (
    <span suppressHydrationWarning title={`Since ${new Date(workspace.startedAt!).toLocaleString("en")}`}>
      Up {formatUptime(Math.max(0, now - new Date(workspace.startedAt!).getTime()))}
    </span>
  );
}

function LiveGone() {
  const { gone, stream } = useLive();
  if (!gone && stream !== "revoked") return null;
  return (
    <div role="status" className="flex items-center gap-3 rounded-lg border p-4 text-sm">
      <Info aria-hidden="true" className="size-4 shrink-0 text-muted-foreground" />
      <p>
        {gone ? "This workspace was deleted." : "You no longer have access to this workspace: you were signed out, or your access changed."}{" "}
        <Link href="/workspaces" className="font-medium underline underline-offset-4">
          Back to your workspaces
        </Link>
      </p>
    </div>
  );
}

/** The tail of a tool's output that came with a failure: scrollable, bounded in height. */
function OutputTail({ output, className }: { output: string; className?: string }) {
  return (
    // Focusable so the keyboard can scroll it.
    <pre
      tabIndex={0}
      aria-label="Output"
      className={cn("max-h-64 overflow-auto rounded-md border bg-background p-2 font-mono text-xs whitespace-pre text-foreground", className)}
    >
      {output}
    </pre>
  );
}

/** Why the workspace failed, in its own words and the tail of the output behind them, with a Retry button. */
function LiveFailure({ workspaceId, canOperate }: { workspaceId: string; canOperate: boolean }) {
  const { workspace, events, gone } = useLive();
  if (gone || workspace.state !== "FAILED") return null;
  const error = latestError(events);
  const details = error ? splitFailureMessage(error.message) : null;
  return (
    <div role="alert" className="flex flex-col gap-3 rounded-lg border border-destructive/40 bg-destructive/10 p-4 text-sm sm:flex-row sm:items-start">
      <AlertCircle aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-destructive" />
      <div className="flex min-w-0 flex-1 flex-col gap-1">
        <p className="font-semibold text-destructive">{failureReason(workspace.stateReason)}</p>
        {details ? <p className="text-foreground">{details.summary}</p> : null}
        {details?.output ? <OutputTail output={details.output} className="mt-1" /> : null}
        {workspace.stateReason ? <p className="text-xs text-muted-foreground">Reason: {workspace.stateReason}</p> : null}
      </div>
      {canOperate && workspace.desiredState !== "DELETED" ? (
        <ActionButton action={operateWorkspaceAction} fields={{ workspaceId, operation: "retry" }} variant="default" size="default">
          <RotateCcw aria-hidden="true" />
          Retry
        </ActionButton>
      ) : null}
    </div>
  );
}

/**
 * A delete that waits for a final backup that failed: why, and for those who
 * may delete it, the way to go on without it.
 */
function LiveFinalBackupFailed({ workspace: { id, name }, canOperate }: { workspace: { id: string; name: string }; canOperate: boolean }) {
  const { workspace, events, gone } = useLive();
  if (gone || workspace.state !== "DELETING") return null;
  const failure = events.findLast((event) => event.step === "backup");
  if (failure?.level !== "ERROR") return null;
  return (
    <div role="alert" className="flex flex-col gap-3 rounded-lg border border-destructive/40 bg-destructive/10 p-4 text-sm sm:flex-row sm:items-start">
      <AlertCircle aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-destructive" />
      <div className="flex min-w-0 flex-1 flex-col gap-1">
        <p className="font-semibold text-destructive">Its final backup failed</p>
        <p className="text-foreground">{splitFailureMessage(failure.message).summary}</p>
        <p className="text-xs text-muted-foreground">The workspace and its home are kept, and the backup is tried again, until one succeeds.</p>
      </div>
      {canOperate ? <DeleteWorkspaceDialog workspace={{ id, name }} size="default" redirectAfterDelete withoutBackup /> : null}
    </div>
  );
}

const STEP_ICONS: Record<StepStatus, React.ReactNode> = {
  done: <Check aria-hidden="true" className="size-4 text-success" />,
  active: <Loader2 aria-hidden="true" className="size-4 animate-spin text-sky-600 motion-reduce:animate-none dark:text-sky-400" />,
  failed: <X aria-hidden="true" className="size-4 text-destructive" />,
  waiting: <Circle aria-hidden="true" className="size-3.5 text-muted-foreground/50" />,
};

const STEP_STATUS_TEXT: Record<StepStatus, string> = { done: "done", active: "in progress", failed: "failed", waiting: "not started" };

/**
 * The start's steps: volume → scheduling → image → shell → IDE → ready, each
 * with its message and time; a failed step says why (the failure alert above
 * has the details and Retry).
 */
function LiveProgress() {
  const { workspace, events, gone } = useLive();
  if (gone) return null;
  const steps = progressSteps(events, workspace.state, workspace.desiredState);
  const error = workspace.state === "FAILED" ? latestError(events) : undefined;
  const failure = error ? splitFailureMessage(error.message).summary : undefined;
  const stopped = workspace.state === "STOPPED" || workspace.state === "STOPPING" || workspace.state === "DELETING";

  return (
    <div className="flex flex-col gap-3">
      {stopped ? (
        <p className="text-sm text-muted-foreground">
          {workspace.state === "DELETING" ? "The workspace is being deleted." : "The workspace is stopped; its home is kept. Start it to bring the IDE back."}
        </p>
      ) : null}
      <ol aria-label="Start progress" className={cn("flex flex-col", stopped && "opacity-60")}>
        {steps.map((step, index) => (
          <li key={step.step} data-step={step.step} data-status={step.status} className="flex gap-3">
            <div className="flex flex-col items-center">
              <span className="flex size-6 items-center justify-center rounded-full border bg-background">{STEP_ICONS[step.status]}</span>
              {index < steps.length - 1 ? <span aria-hidden="true" className="w-px flex-1 bg-border" /> : null}
            </div>
            <div className="flex min-w-0 flex-1 flex-col gap-0.5 pb-4">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <span className={cn("text-sm font-medium", step.status === "waiting" && "text-muted-foreground")}>
                  {step.label}
                  <span className="sr-only">: {STEP_STATUS_TEXT[step.status]}</span>
                </span>
                {step.durationMs !== undefined ? (
                  <span className="text-xs text-muted-foreground tabular-nums">{formatDuration(step.durationMs)}</span>
                ) : null}
              </div>
              {step.message ? <p className="text-xs break-words text-muted-foreground">{step.message}</p> : null}
              {step.status === "failed" && failure ? <p className="text-xs break-words text-destructive">{failure}</p> : null}
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}

const LEVEL_ICONS = {
  INFO: <Info aria-hidden="true" className="size-3.5 text-muted-foreground" />,
  WARNING: <AlertTriangle aria-hidden="true" className="size-3.5 text-warning" />,
  ERROR: <AlertCircle aria-hidden="true" className="size-3.5 text-destructive" />,
} as const;

const STEP_LABELS: Record<string, string> = {
  state: "State",
  submitted: "Submitted",
  pool: "Warm pool",
  volume: "Volume",
  scheduling: "Scheduling",
  image: "Image",
  shell: "Shell",
  ide: "IDE",
  ready: "Ready",
  backup: "Backup",
  restore: "Restore",
};

/** One row of the log: an event, or the latest of several alike in a row with their count. */
function EventLogRow({ row: { event, count } }: { row: EventRow }) {
  const { summary, output } = splitFailureMessage(event.message);
  return (
    <li data-level={event.level.toLowerCase()} className="flex items-start gap-3 border-b px-3 py-2 last:border-0">
      <span className="mt-0.5">{LEVEL_ICONS[event.level]}</span>
      <time dateTime={event.createdAt} suppressHydrationWarning className="shrink-0 font-mono text-xs text-muted-foreground tabular-nums">
        {formatTime(event.createdAt)}
      </time>
      <span className="w-20 shrink-0 text-xs font-medium text-muted-foreground">{STEP_LABELS[event.step] ?? event.step}</span>
      <div className={cn("min-w-0 flex-1 break-words", event.level === "ERROR" && "text-destructive")}>
        {summary}
        {event.data?.from && event.data.to ? (
          <span className="text-xs text-muted-foreground">
            {" "}
            ({event.data.from.toLowerCase()} → {event.data.to.toLowerCase()})
          </span>
        ) : null}
        {output ? (
          <details className="mt-1 text-xs text-muted-foreground">
            <summary className="cursor-pointer">Output</summary>
            <OutputTail output={output} className="mt-1" />
          </details>
        ) : null}
      </div>
      {count > 1 ? (
        <span
          className="shrink-0 rounded-full bg-muted px-1.5 text-xs font-medium text-muted-foreground tabular-nums"
          title={`${count} times in a row; the time is the latest's`}
          data-testid="event-count"
        >
          ×{count}
        </span>
      ) : null}
      {event.durationMs !== null ? (
        // When it came, after the previous event: not how long its step took, as an event may announce a step ("Downloading…") rather than end one.
        <span className="shrink-0 text-xs text-muted-foreground tabular-nums" title="after the previous event">
          +{formatDuration(event.durationMs)}
        </span>
      ) : null}
    </li>
  );
}

/** Every event, newest first; consecutive repeats are one row with their count. */
function LiveEventLog() {
  const { events } = useLive();
  if (events.length === 0) return <p className="text-sm text-muted-foreground">Nothing has happened yet.</p>;
  return (
    <ol aria-label="Workspace events" className="flex max-h-96 flex-col overflow-y-auto rounded-lg border text-sm">
      {eventRows(events).map((row) => (
        <EventLogRow key={row.event.id} row={row} />
      ))}
    </ol>
  );
}

/**
 * The live state for anything else on the workspace page (the terminal and
 * IDE, for one): `workspace.state`, whether it is `busy` getting somewhere,
 * and whether it is `gone`.
 */
function useWorkspaceLive(): Live & { busy: boolean } {
  const live = useLive();
  return { ...live, busy: isTransitional(live.workspace.state, live.workspace.desiredState) };
}

export {
  LiveActions,
  LiveEventLog,
  LiveFailure,
  LiveFinalBackupFailed,
  LiveGone,
  LiveIndicator,
  LiveProgress,
  LiveStateBadge,
  LiveUptime,
  useWorkspaceLive,
  WorkspaceLiveProvider,
};
