import * as React from "react";
import Link from "next/link";
import { ChevronLeft, ChevronRight } from "lucide-react";

import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";

// The links between the pages of a keyset-paginated list (lib/pagination):
// each page is its list's URL with the same filters and the page's cursor.

type PaginationProps = Omit<React.ComponentProps<"nav">, "children"> & {
  /** The list's path, e.g. "/audit". */
  path: string;
  /** The list's filters, which every page keeps; empty values are left out. */
  query?: Record<string, string | undefined>;
  /** The neighbouring pages' cursors; null where there is none. */
  previous: string | null;
  next: string | null;
  /** What the links say: "Newer" and "Older" for lists newest first. */
  labels?: { previous: string; next: string };
  /** A line about the list, such as how many it holds. */
  summary?: React.ReactNode;
};

/** The URL of the page with `cursor` (the first page without one). */
function pageHref(path: string, query: Record<string, string | undefined>, cursor: string | null): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...query, cursor: cursor ?? undefined })) if (value) params.set(name, value);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

function Pagination({
  path,
  query = {},
  previous,
  next,
  labels = { previous: "Previous", next: "Next" },
  summary,
  className,
  ...props
}: PaginationProps) {
  if (!previous && !next && !summary) return null;
  return (
    <nav aria-label="Pages" data-slot="pagination" className={cn("flex flex-wrap items-center justify-between gap-3 text-sm", className)} {...props}>
      <p className="text-muted-foreground">{summary}</p>
      <div className="flex gap-2">
        {previous ? (
          <Button asChild variant="outline" size="sm">
            <Link href={pageHref(path, query, previous)} rel="prev">
              <ChevronLeft aria-hidden="true" />
              {labels.previous}
            </Link>
          </Button>
        ) : null}
        {next ? (
          <Button asChild variant="outline" size="sm">
            <Link href={pageHref(path, query, next)} rel="next">
              {labels.next}
              <ChevronRight aria-hidden="true" />
            </Link>
          </Button>
        ) : null}
      </div>
    </nav>
  );
}

export { Pagination, pageHref, type PaginationProps };
