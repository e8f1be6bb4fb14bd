"use client";

import "@xterm/xterm/css/xterm.css";
import * as React from "react";
import type { Terminal as XtermTerminal } from "@xterm/xterm";
import type { FitAddon } from "@xterm/addon-fit";
import { RotateCw } from "lucide-react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";
import { BACKOFF_CAP_MS, TerminalConnection, type ConnectionStatus } from "./terminal-connection";

// One terminal: xterm.js attached to a resumable session on the server. It
// reconnects by itself, and a reconnect (or a reloaded page) gets the
// session's scrollback back.

export interface TerminalHandle {
  /** Ends the session and its shell on the server (the tab is being closed). */
  end(): void;
}

export interface TerminalProps {
  ref?: React.Ref<TerminalHandle>;
  workspaceId: string;
  /** The server-side session this terminal attaches to; kept per browser tab by TerminalTabs. */
  sessionId: string;
  /** Shown: fitted to its container (terminals in hidden tabs stay connected). */
  active: boolean;
  /** Accessible name, e.g. "Terminal 2". */
  label: string;
  /** Shift+Escape: the user leaves the terminal (xterm.js takes Tab for the shell). */
  onLeave?: () => void;
  /** The shell exited: "Start a new shell" asks for a fresh session. */
  onRestart?: () => void;
  className?: string;
}

const THEME = {
  background: "#0f1117",
  foreground: "#e6e6e6",
  cursor: "#e6e6e6",
  selectionBackground: "#3a4660",
};

export function Terminal({ ref, workspaceId, sessionId, active, label, onLeave, onRestart, className }: TerminalProps) {
  const containerRef = React.useRef<HTMLDivElement>(null);
  const termRef = React.useRef<XtermTerminal | null>(null);
  const fitRef = React.useRef<FitAddon | null>(null);
  const connectionRef = React.useRef<TerminalConnection | null>(null);
  const onLeaveRef = React.useRef(onLeave);
  const [status, setStatus] = React.useState<ConnectionStatus>({ kind: "connecting" });

  const activeRef = React.useRef(active);
  React.useEffect(() => {
    onLeaveRef.current = onLeave;
    activeRef.current = active;
  }, [onLeave, active]);
  React.useImperativeHandle(ref, () => ({ end: () => connectionRef.current?.end() }), []);

  React.useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    let disposed = false;
    let cleanup = () => {};

    void (async () => {
      // xterm.js touches the DOM when loaded: only in the browser, only here.
      const [{ Terminal: Xterm }, { FitAddon: Fit }, { WebLinksAddon }] = await Promise.all([
        import("@xterm/xterm"),
        import("@xterm/addon-fit"),
        import("@xterm/addon-web-links"),
      ]);
      if (disposed) return;
      const term = new Xterm({
        cursorBlink: true,
        fontFamily: 'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
        fontSize: 13,
        scrollback: 10_000,
        theme: THEME,
      });
      const fit = new Fit();
      term.loadAddon(fit);
      term.loadAddon(new WebLinksAddon());
      term.open(container);
      term.textarea?.setAttribute("aria-label", `${label} input`);
      term.attachCustomKeyEventHandler((event) => {
        if (event.type === "keydown" && event.key === "Escape" && event.shiftKey) {
          onLeaveRef.current?.();
          return false;
        }
        return true;
      });
      termRef.current = term;
      fitRef.current = fit;
      safeFit(fit, container);

      let readyBefore = false;
      const connection = new TerminalConnection({
        workspaceId,
        sessionId,
        size: () => ({ cols: term.cols, rows: term.rows }),
        onStatus: (next) => {
          if (!disposed) setStatus(next);
        },
        onReady: () => {
          term.reset();
          // The shown terminal takes the keyboard when it first opens, as a terminal
          // does, unless the user is already somewhere else on the page; without
          // scrolling to it.
          if (!readyBefore && activeRef.current && document.activeElement === document.body) term.textarea?.focus({ preventScroll: true });
          readyBefore = true;
        },
        onOutput: (data, drawn) => term.write(data, drawn),
      });
      connectionRef.current = connection;
      const inputs = [
        term.onData((data) => connection.input(data)),
        term.onBinary((data) => connection.input(Uint8Array.from(data, (char) => char.charCodeAt(0) & 0xff))),
        term.onResize(({ cols, rows }) => connection.resize(cols, rows)),
      ];
      const resizeObserver = new ResizeObserver(() => safeFit(fit, container));
      resizeObserver.observe(container);
      const wake = () => {
        if (connection.waitingToReconnect) connection.reconnectNow();
      };
      const onVisible = () => document.visibilityState === "visible" && wake();
      window.addEventListener("online", wake);
      document.addEventListener("visibilitychange", onVisible);
      connection.start();

      cleanup = () => {
        window.removeEventListener("online", wake);
        document.removeEventListener("visibilitychange", onVisible);
        resizeObserver.disconnect();
        for (const input of inputs) input.dispose();
        connection.stop();
        term.dispose();
        termRef.current = null;
        fitRef.current = null;
        connectionRef.current = null;
      };
    })();

    return () => {
      disposed = true;
      cleanup();
    };
    // The label only names the input; it doesn't need a new connection.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [workspaceId, sessionId]);

  React.useEffect(() => {
    if (!active) return;
    const frame = requestAnimationFrame(() => {
      if (fitRef.current && containerRef.current) safeFit(fitRef.current, containerRef.current);
    });
    return () => cancelAnimationFrame(frame);
  }, [active]);

  return (
    <div className={cn("flex min-h-0 flex-col bg-[#0f1117]", className)} role="group" aria-label={label}>
      <TerminalStatus status={status} onReconnect={() => connectionRef.current?.reconnectNow()} onRestart={onRestart} />
      <div ref={containerRef} className="min-h-0 flex-1 px-2 py-1" />
    </div>
  );
}

/** fit() measures the container: skip while it is hidden (0×0), which would shrink the shell to nothing. */
function safeFit(fit: FitAddon, container: HTMLElement) {
  if (container.clientWidth > 0 && container.clientHeight > 0) fit.fit();
}

function TerminalStatus({ status, onReconnect, onRestart }: { status: ConnectionStatus; onReconnect: () => void; onRestart?: () => void }) {
  const seconds = useSecondsUntil(status.kind === "reconnecting" ? status.at : null);
  let text: string;
  let tone: "ok" | "wait" | "stop";
  let action: React.ReactNode = null;
  switch (status.kind) {
    case "connecting":
      text = "Connecting…";
      tone = "wait";
      break;
    case "connected":
      text = "Connected";
      tone = "ok";
      break;
    case "reconnecting":
      text = `Connection lost. Reconnecting in ${seconds} s`;
      tone = "wait";
      action = (
        <StatusButton onClick={onReconnect}>
          <RotateCw aria-hidden="true" /> Reconnect now
        </StatusButton>
      );
      break;
    case "exited":
      text = status.code === null ? "Process exited" : `Process exited (code ${status.code})`;
      tone = "stop";
      action = onRestart ? <StatusButton onClick={onRestart}>Start a new shell</StatusButton> : null;
      break;
    case "not-running":
      text = "Workspace is not running";
      tone = "stop";
      action = <StatusButton onClick={onReconnect}>Try again</StatusButton>;
      break;
    case "signed-out":
      text = "Signed out. Sign in again to use the terminal";
      tone = "stop";
      action = (
        <Button asChild size="sm" variant="ghost" className="h-6 px-2 text-xs text-white hover:bg-white/10 hover:text-white">
          <a href={`/login?callbackUrl=${encodeURIComponent(currentPath())}`}>Sign in</a>
        </Button>
      );
      break;
    case "access-lost":
      text = "You no longer have access to this workspace";
      tone = "stop";
      break;
    case "ended":
      text = `Terminal ended: ${status.reason}`;
      tone = "stop";
      action = onRestart ? <StatusButton onClick={onRestart}>Start a new shell</StatusButton> : null;
      break;
  }
  return (
    <div className="flex h-7 shrink-0 items-center gap-2 border-b border-white/10 px-3 text-xs text-neutral-300">
      <span
        aria-hidden="true"
        className={cn("size-2 rounded-full", tone === "ok" ? "bg-emerald-400" : tone === "wait" ? "bg-amber-400" : "bg-red-400")}
      />
      <span role="status" aria-live="polite" data-terminal-status={status.kind}>
        {text}
      </span>
      <span className="ml-auto flex items-center gap-1">{action}</span>
    </div>
  );
}

function StatusButton({ children, onClick }: { children: React.ReactNode; onClick: () => void }) {
  return (
    <Button size="sm" variant="ghost" className="h-6 px-2 text-xs text-white hover:bg-white/10 hover:text-white" onClick={onClick}>
      {children}
    </Button>
  );
}

function currentPath() {
  return typeof window === "undefined" ? "/" : `${window.location.pathname}${window.location.search}`;
}

/** Whole seconds until `at`, ticking a few times a second. */
function useSecondsUntil(at: number | null): number {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    if (at === null) return;
    const tick = () => setNow(Date.now());
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, 250);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [at]);
  // Before the first tick `now` may be stale; the wait is never longer than the backoff cap.
  return at === null ? 0 : Math.min(BACKOFF_CAP_MS / 1000, Math.max(0, Math.ceil((at - now) / 1000)));
}
