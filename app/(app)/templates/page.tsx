import type { Metadata } from "next";
import Form from "next/form";
import Link from "next/link";
import { LayoutTemplate, Plus, Search } from "lucide-react";
import { z } from "zod";

import { TemplateCard } from "@/components/templates/template-card";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { requireUser } from "@/lib/auth/current-user";
import { searchTextSchema } from "@/lib/schemas/fields";
import { managesTemplates } from "@/lib/templates/access";
import { listTemplateTags, listTemplates } from "@/lib/templates/catalog";
import { cn } from "@/lib/utils";

export const metadata: Metadata = {
  title: "Templates",
};

// A search box never errors: anything unusable searches for everything.
const catalogQuerySchema = z.object({
  q: searchTextSchema,
  tag: z.string().trim().toLowerCase().transform((tag) => tag.slice(0, 60)).catch(""),
});

function catalogHref(query: { q: string; tag: string }): string {
  const params = new URLSearchParams(Object.entries(query).filter(([, value]) => value));
  const search = params.toString();
  return search ? `/templates?${search}` : "/templates";
}

function TagFilter({ tags, q, selected }: { tags: string[]; q: string; selected: string }) {
  if (tags.length === 0) return null;
  const chip = "inline-flex h-7 items-center rounded-full border px-3 text-xs font-medium outline-none transition-colors focus-visible:ring-2 focus-visible:ring-ring";
  return (
    <nav aria-label="Filter by tag">
      <ul className="flex flex-wrap gap-2">
        <li>
          <Link
            href={catalogHref({ q, tag: "" })}
            aria-current={selected ? undefined : "page"}
            className={cn(chip, selected ? "hover:bg-accent" : "border-primary bg-primary text-primary-foreground")}
          >
            All
          </Link>
        </li>
        {tags.map((tag) => (
          <li key={tag}>
            <Link
              href={catalogHref({ q, tag: tag === selected ? "" : tag })}
              aria-current={tag === selected ? "page" : undefined}
              className={cn(chip, tag === selected ? "border-primary bg-primary text-primary-foreground" : "hover:bg-accent")}
            >
              {tag}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export default async function TemplatesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const { q, tag } = catalogQuerySchema.parse(await searchParams);
  const [templates, tags, manages] = await Promise.all([
    listTemplates(user, { search: q, tag }),
    listTemplateTags(user),
    managesTemplates(user),
  ]);
  const filtered = Boolean(q || tag);

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="flex flex-col gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Templates</h1>
          <p className="text-sm text-muted-foreground">
            {manages
              ? "Every template on this Podspace, archived ones included. Workspaces are created from these."
              : "Pick a template to see what it runs and what a workspace from it costs your team."}
          </p>
        </div>
        {manages ? (
          <Button asChild>
            <Link href="/templates/new">
              <Plus aria-hidden="true" />
              New template
            </Link>
          </Button>
        ) : null}
      </div>

      <div className="flex flex-col gap-3">
        <Form action="/templates" role="search" className="flex max-w-lg items-end gap-2">
          <div className="flex flex-1 flex-col gap-2">
            <Label htmlFor="template-search">Search templates</Label>
            <Input id="template-search" name="q" type="search" defaultValue={q} placeholder="python, node, data…" />
          </div>
          {tag ? <input type="hidden" name="tag" value={tag} /> : null}
          <Button type="submit" variant="secondary">
            <Search aria-hidden="true" />
            Search
          </Button>
        </Form>
        <TagFilter tags={tags} q={q} selected={tag} />
      </div>

      {templates.length === 0 ? (
        <EmptyState
          icon={LayoutTemplate}
          title={filtered ? "No templates match" : "No templates yet"}
          description={
            filtered
              ? [q ? `Nothing matches “${q}”` : null, tag ? `tagged ${tag}` : null].filter(Boolean).join(" ") + "."
              : manages
                ? "Create one, or restart Podspace to install the built-in templates."
                : "A template admin hasn't published any templates yet."
          }
          action={
            filtered ? (
              <Button asChild variant="outline">
                <Link href="/templates">Show all templates</Link>
              </Button>
            ) : undefined
          }
        />
      ) : (
        <section aria-label="Templates" className="flex flex-col gap-3">
          <p className="text-sm text-muted-foreground" aria-live="polite">
            {templates.length} {templates.length === 1 ? "template" : "templates"}
            {filtered ? " match" : ""}
          </p>
          <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {templates.map((template) => (
              <TemplateCard key={template.id} template={template} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
