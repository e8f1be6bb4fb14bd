import type { Metadata } from "next";

import { NotFoundMessage } from "@/components/shell/not-found-message";

export const metadata: Metadata = {
  title: "Page not found",
};

// notFound() from a signed-in page renders here, inside that page's shell.
export default function NotFound() {
  return <NotFoundMessage />;
}
