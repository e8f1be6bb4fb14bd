import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ChevronLeft } from "lucide-react";

import { TemplateEditor } from "@/components/templates/template-editor";
import { Badge } from "@/components/ui/badge";
import { requireUser } from "@/lib/auth/current-user";
import { managesTemplates } from "@/lib/templates/access";
import { getTemplate } from "@/lib/templates/catalog";
import { specToYaml } from "@/lib/templates/yaml";

type EditTemplatePageProps = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: EditTemplatePageProps): Promise<Metadata> {
  return { title: `Edit ${(await params).slug}` };
}

export default async function EditTemplatePage({ params }: EditTemplatePageProps) {
  const user = await requireUser();
  if (!(await managesTemplates(user))) notFound();
  const template = await getTemplate(user, (await params).slug);
  if (!template) notFound();

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <Link
          href={`/templates/${template.slug}`}
          className="inline-flex w-fit items-center gap-1 rounded-sm text-sm text-muted-foreground outline-none hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring"
        >
          <ChevronLeft aria-hidden="true" className="size-4" />
          {template.name}
        </Link>
        <div className="flex flex-wrap items-center gap-2">
          <h1 className="text-2xl font-semibold tracking-tight">Edit {template.name}</h1>
          {template.builtIn ? <Badge variant="outline">Built-in</Badge> : null}
        </div>
        <p className="text-sm text-muted-foreground">
          Saving creates version {template.latest.version + 1}; version {template.latest.version} and its workspaces stay as they are.
          {template.builtIn ? " A later change to the built-in file becomes a newer version still." : ""}
        </p>
      </div>
      <TemplateEditor
        // A new version remounts the editor with it.
        key={template.latest.id}
        templateSlug={template.slug}
        initialYaml={specToYaml(template.latest.spec)}
        cancelHref={`/templates/${template.slug}`}
      />
    </div>
  );
}
