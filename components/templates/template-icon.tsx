import * as React from "react";
import { Box, icons, type LucideIcon } from "lucide-react";

import { cn } from "@/lib/utils";

/** "flask-conical" → the FlaskConical icon; unknown names get the box. */
function lucideIcon(name: string | null): LucideIcon {
  const pascal = (name ?? "")
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
  return (icons as Record<string, LucideIcon>)[pascal] ?? Box;
}

/**
 * A template's icon: a lucide icon name, or an image URL. Server-rendered
 * only, so the full icon set never reaches the browser.
 */
function TemplateIcon({ icon, className }: { icon: string | null; className?: string }) {
  const frame = cn("flex size-10 shrink-0 items-center justify-center rounded-md bg-primary/10 text-primary", className);
  if (icon && /^https?:\/\//.test(icon)) {
    return (
      <span className={frame}>
        {/* An admin-chosen URL of unknown size: next/image would need it allow-listed. */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src={icon} alt="" className="size-6 object-contain" />
      </span>
    );
  }
  // A lookup in lucide's static icon map, not a component made per render.
  return <span className={frame}>{React.createElement(lucideIcon(icon), { "aria-hidden": true, className: "size-5" })}</span>;
}

export { TemplateIcon };
