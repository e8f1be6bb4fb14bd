"use client";

import * as React from "react";
import { operateWorkspaceAction } from "@/app/(app)/workspaces/actions";
import { idleState, type ActionState } from "@/lib/forms/action-state";

/**
 * Opening a stopped workspace starts it, as Codespaces does, unless its owner
 * stopped it (lib/workspaces/resume-on-open.ts): once per page view, from the
 * browser (a prefetch of the page must not start anything). Only the state at
 * load counts: the page re-rendering after a stop (the user's, or an idle
 * stop while the page is open) must not start it again. A refusal (the
 * team's quota, say) is shown.
 */
/** `stopped`: the workspace is stopped and resumes on its owner's visit. */
export function ResumeOnOpen({ workspaceId, stopped }: { workspaceId: string; stopped: boolean }) {
  const [stoppedAtLoad] = React.useState(stopped);
  const [state, setState] = React.useState<ActionState | null>(null);
  const requested = React.useRef(false);
  React.useEffect(() => {
    if (!stoppedAtLoad || requested.current) return;
    requested.current = true;
    const form = new FormData();
    form.set("workspaceId", workspaceId);
    form.set("operation", "start");
    React.startTransition(async () => setState(await operateWorkspaceAction(idleState, form)));
  }, [workspaceId, stoppedAtLoad]);
  if (!stoppedAtLoad || state?.status === "ok") return null;
  if (state?.status !== "error") return <p className="text-sm text-muted-foreground">Resuming this workspace…</p>;
  return (
    <p role="alert" className="rounded-md border border-destructive/40 bg-destructive/10 px-3 py-2 text-sm text-destructive">
      Could not resume: {state.message}
    </p>
  );
}
