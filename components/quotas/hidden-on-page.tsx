"use client";

import { usePathname } from "next/navigation";

/**
 * Renders its children except on the page at `path`. The signed-in layout's
 * budget banner uses it to stay off the quotas page, which shows the same
 * budget itself (layouts can't see the current path on the server).
 */
function HiddenOnPage({ path, children }: { path: string; children: React.ReactNode }) {
  return usePathname() === path ? null : children;
}

export { HiddenOnPage };
