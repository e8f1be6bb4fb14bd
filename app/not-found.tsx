import type { Metadata } from "next";

import { AppShell } from "@/components/shell/app-shell";
import { NotFoundMessage } from "@/components/shell/not-found-message";

export const metadata: Metadata = {
  title: "Page not found",
};

// Unknown URLs land here, outside the signed-in layout, so the shell has no user.
export default function NotFound() {
  return (
    <AppShell>
      <NotFoundMessage />
    </AppShell>
  );
}
