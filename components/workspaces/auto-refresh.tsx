"use client";

import * as React from "react";
import { useRouter } from "next/navigation";

/** Re-renders the page from the server every few seconds while `active`, e.g. while a workspace is starting. */
function AutoRefresh({ active, intervalMs = 2000 }: { active: boolean; intervalMs?: number }) {
  const router = useRouter();

  React.useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      // A hidden tab needn't keep the server busy.
      if (document.visibilityState === "visible") router.refresh();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs, router]);

  return null;
}

export { AutoRefresh };
