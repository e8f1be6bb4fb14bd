import Link from "next/link";
import { LayoutTemplate } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { formatNumber } from "@/lib/format";
import type { TemplateCard } from "@/lib/templates/catalog";

/** The catalog's templates as links to the create form, for /workspaces/new without ?template. */
/** `restoreFrom`: the backup the new workspace restores, carried to the template's form. */
function TemplatePicker({ templates, restoreFrom }: { templates: TemplateCard[]; restoreFrom?: string }) {
  if (templates.length === 0) {
    return (
      <EmptyState
        icon={LayoutTemplate}
        title="No templates yet"
        description="A template admin adds templates to the catalog; workspaces are built from them."
      />
    );
  }

  return (
    <ul aria-label="Templates" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
      {templates.map((template) => (
        <li key={template.id}>
          <Link
            href={`/workspaces/new?template=${encodeURIComponent(template.slug)}${restoreFrom ? `&restoreFrom=${encodeURIComponent(restoreFrom)}` : ""}`}
            className="flex h-full flex-col gap-3 rounded-lg border bg-card p-5 text-card-foreground shadow-xs outline-none transition-colors hover:border-primary/50 hover:bg-accent/40 focus-visible:ring-2 focus-visible:ring-ring"
          >
            <div className="flex items-start justify-between gap-2">
              <span className="font-semibold">{template.name}</span>
              <span className="text-xs text-muted-foreground">v{template.latestVersion}</span>
            </div>
            {template.description ? <p className="line-clamp-3 text-sm text-muted-foreground">{template.description}</p> : null}
            <p className="mt-auto text-xs text-muted-foreground tabular-nums">
              {formatNumber(template.resources.cpu.default)} CPU · {formatNumber(template.resources.memoryGiB.default)} GiB RAM ·{" "}
              {formatNumber(template.resources.diskGiB.default)} GiB disk by default
            </p>
            {template.tags.length > 0 ? (
              <div className="flex flex-wrap gap-1">
                {template.tags.map((tag) => (
                  <Badge key={tag} variant="secondary">
                    {tag}
                  </Badge>
                ))}
              </div>
            ) : null}
          </Link>
        </li>
      ))}
    </ul>
  );
}

export { TemplatePicker };
