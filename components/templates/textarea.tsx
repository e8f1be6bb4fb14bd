import * as React from "react";

import { cn } from "@/lib/utils";

// The Input's look for multi-line text; monospace for code (scripts, YAML).
function Textarea({ className, mono = false, ...props }: React.ComponentProps<"textarea"> & { mono?: boolean }) {
  return (
    <textarea
      data-slot="textarea"
      className={cn(
        "flex min-h-20 w-full min-w-0 rounded-md border border-input bg-background px-3 py-2 text-sm shadow-xs transition-colors outline-none",
        "placeholder:text-muted-foreground",
        "focus-visible:border-ring focus-visible:ring-2 focus-visible:ring-ring/40",
        "disabled:cursor-not-allowed disabled:opacity-50",
        "aria-invalid:border-destructive aria-invalid:ring-destructive/30",
        mono && "font-mono text-xs leading-relaxed",
        className,
      )}
      {...props}
    />
  );
}

export { Textarea };
