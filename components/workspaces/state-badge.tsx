import { Loader2 } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";
import { cn } from "@/lib/utils";

type Look = { label: string; className: string; busy?: boolean };

// A colour per state; the ones on their way somewhere spin.
const LOOKS: Record<WorkspaceState, Look> = {
  PENDING: { label: "Pending…", className: "border-sky-500/30 bg-sky-500/10 text-sky-700 dark:text-sky-300", busy: true },
  STARTING: { label: "Starting…", className: "border-sky-500/30 bg-sky-500/10 text-sky-700 dark:text-sky-300", busy: true },
  RUNNING: { label: "Running", className: "border-success/30 bg-success/15 text-success" },
  STOPPING: { label: "Stopping…", className: "border-warning/40 bg-warning/20 text-warning-foreground dark:text-warning", busy: true },
  STOPPED: { label: "Stopped", className: "border-transparent bg-secondary text-secondary-foreground" },
  FAILED: { label: "Failed", className: "border-destructive/30 bg-destructive/10 text-destructive" },
  DELETING: { label: "Deleting…", className: "border-destructive/30 bg-destructive/5 text-destructive", busy: true },
  DELETED: { label: "Deleted", className: "text-muted-foreground" },
};

/**
 * The workspace's observed state; a requested start, stop or delete reads as
 * under way ("Starting…") before the reconciler gets to it, so the badge
 * agrees with the buttons, which follow the request.
 */
function StateBadge({ state, desiredState, className }: { state: WorkspaceState; desiredState?: DesiredState; className?: string }) {
  const look = LOOKS[requestedState(state, desiredState)];
  return (
    <Badge variant="outline" data-state={state.toLowerCase()} className={cn(look.className, className)}>
      {look.busy ? <Loader2 aria-hidden="true" className="animate-spin motion-reduce:animate-none" /> : <Dot />}
      {look.label}
    </Badge>
  );
}

function requestedState(state: WorkspaceState, desiredState: DesiredState | undefined): WorkspaceState {
  if (desiredState === "DELETED" && state !== "DELETED") return "DELETING";
  if (desiredState === "RUNNING" && state === "STOPPED") return "STARTING";
  if (desiredState === "STOPPED" && state === "RUNNING") return "STOPPING";
  return state;
}

function Dot() {
  return <span aria-hidden="true" className="size-1.5 rounded-full bg-current" />;
}

export { StateBadge };
