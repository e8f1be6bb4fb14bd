import type { ActionState } from "@/lib/forms/action-state";
import { cn } from "@/lib/utils";

/**
 * The form's outcome, in a live region that is always rendered so screen
 * readers announce the message when it appears.
 */
function FormMessage({ state, className }: { state: ActionState; className?: string }) {
  return (
    <p
      data-slot="form-message"
      aria-live="polite"
      className={cn(
        "text-sm",
        state.status === "error" ? "font-medium text-destructive" : "text-muted-foreground",
        className,
      )}
    >
      {state.status === "idle" ? null : state.message}
    </p>
  );
}

export { FormMessage };
